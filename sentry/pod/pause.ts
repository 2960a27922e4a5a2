/**
 * The pause process: pid 1 of a pod whose containers share one PID
 * namespace (Kubernetes' shareProcessNamespace, CRI pid mode POD), as the
 * infra container's `/pause` is under containerd (and under runsc, where
 * it is the sandbox's first container).
 *
 * The Sentry plays it: it is a process on a copy of the template stub
 * that is never resumed, so no application code ever runs in it. What
 * Kubernetes' pause program does (build/pause/linux/pause.c) is done here
 * instead:
 *   - SIGCHLD: reap every exited child. Orphans of the pod's containers are
 *     re-parented to pid 1, so no zombie is left once they exit; zombies
 *     re-parented to it are reaped at once too (Linux tells the new parent).
 *   - SIGINT, SIGTERM: pause's handler exits 0. The init of the pod's PID
 *     namespace is then gone, which ends every process in it: the pod ends
 *     (containerd reports the sandbox not ready; runsc's sandbox ends with
 *     its first container).
 *   - anything else, SIGKILL and SIGSTOP included: dropped, as Linux drops
 *     signals with the default action sent to a PID namespace's init from
 *     inside that namespace (SIGNAL_UNKILLABLE).
 *
 * It runs as 65535:65535 (the pause image's user) with no descriptors.
 * Not supported: running the pod's own pause image, and a pod-level
 * security context's user for it.
 */
import { SIG } from '../abi/linux/signal';
import type { ProcessSpec } from '../control/protocol';
import type { Process } from '../kernel/task';

/** The pause image's user and group. */
const PAUSE_ID = 65535;

/** What the pod Sentry gives the pause process when it creates it (never exec'd: no file behind it). */
export const PAUSE_SPEC: ProcessSpec = {
  argv: ['/pause'],
  envp: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  cwd: '/',
  uid: PAUSE_ID,
  gid: PAUSE_ID,
  groups: [],
};

/**
 * Turns `p`, a fresh process that is pid 1 and will never run, into the
 * pod's pause; `exit` ends it (SIGINT/SIGTERM) with status 0.
 */
export function becomePause(p: Process): void {
  if (p.pid !== 1) throw new Error(`the pause process must be pid 1, not ${p.pid}`);
  p.argv = [...PAUSE_SPEC.argv];
  p.envp = [...PAUSE_SPEC.envp];
  p.exe = '/pause';
  p.comm = 'pause';
  // Children exit, orphans (zombies too) arrive: all notify childEvents.
  p.childEvents.add(() => reapExited(p));
  p.takeSignal = (signo) => {
    switch (signo) {
      case SIG.SIGCHLD:
        reapExited(p);
        return true;
      case SIG.SIGINT:
      case SIG.SIGTERM:
        p.exit(0);
        return true;
      default:
        return false;
    }
  };
}

/** waitpid(-1, WNOHANG) until none is left, as pause's SIGCHLD handler does. */
function reapExited(p: Process): void {
  for (const c of [...p.children]) if (c.exitStatus !== undefined) p.kernel.reap(c);
}
