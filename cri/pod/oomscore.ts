// The host oom_score_adj of a pod's processes (its Sentry, Gofers and stubs).
import { writeFileSync } from 'node:fs';

/**
 * The score the node's OOM killer should weigh a gvisor pod by: the lowest
 * of its containers' (as gVisor's runsc sets its sandbox's). The pod's
 * processes live or die together, so the pod is spared as its most
 * important container would be. Undefined without containers.
 */
export function podOomScoreAdj(containerScores: number[]): number | undefined {
  return containerScores.length === 0 ? undefined : Math.min(...containerScores);
}

/**
 * Writes `value` to /proc/PID/oom_score_adj for each pid; a process that
 * ended meanwhile is skipped. Returns the other failures (lowering a score
 * below 0 needs CAP_SYS_RESOURCE, which some hosts' root lacks).
 */
export function setHostOomScoreAdj(pids: number[], value: number, proc = '/proc'): string[] {
  const failures: string[] = [];
  for (const pid of pids) {
    try {
      writeFileSync(`${proc}/${pid}/oom_score_adj`, String(value));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ESRCH') failures.push(`pid ${pid}: ${(e as Error).message}`);
    }
  }
  return failures;
}
