/**
 * A process's seccomp state (seccomp(2)): its mode and its stack of
 * filters. Each app syscall runs through every filter, newest first, and
 * the action of highest precedence wins (KILL_PROCESS, KILL_THREAD, TRAP,
 * ERRNO, USER_NOTIF, TRACE, LOG, ALLOW), with the data of the filter that
 * returned it. Filters are immutable and shared by forked children; exec
 * keeps them. A filter's result that only depended on the syscall number
 * (the program read nothing but nr and arch on its way) is cached per
 * number, so the common allow-list costs one map lookup.
 *
 * The filters belong to the process, not to each thread: a filter a thread
 * installs applies to its siblings at once (as if SECCOMP_FILTER_FLAG_TSYNC
 * were always given).
 */
import { MAX_INSNS_PER_PATH, SECCOMP_DATA_ARCH, SECCOMP_MODE, SECCOMP_RET, SECCOMP_RET_ACTION_FULL } from '../../abi/linux/seccomp';
import { fail } from '../../errors/linuxerr';
import { BpfProgram, runProgram } from './bpf';

export interface SeccompFilter {
  readonly prog: BpfProgram;
  /** SECCOMP_FILTER_FLAG_LOG: actions other than ALLOW are logged. */
  readonly log: boolean;
  /** Results that depend on the syscall number only. */
  readonly cache: Map<number, number>;
}

export interface SeccompState {
  readonly mode: number;
  /** Oldest first. */
  readonly filters: readonly SeccompFilter[];
}

export const NO_SECCOMP: SeccompState = { mode: SECCOMP_MODE.DISABLED, filters: [] };

export function newFilter(prog: BpfProgram, log = false): SeccompFilter {
  return { prog, log, cache: new Map() };
}

/** The state with `f` added (ENOMEM past Linux's limit of instructions over all filters; EINVAL in strict mode). */
export function withFilter(s: SeccompState, f: SeccompFilter): SeccompState {
  if (s.mode === SECCOMP_MODE.STRICT) fail('EINVAL', 'already in strict mode');
  const total = [...s.filters, f].reduce((n, x) => n + x.prog.code.length + 4, 0);
  if (total > MAX_INSNS_PER_PATH) fail('ENOMEM', `${total} filter instructions`);
  return { mode: SECCOMP_MODE.FILTER, filters: [...s.filters, f] };
}

/** Precedence of a return value: the lower, the stronger (KILL_PROCESS is negative as a signed action). */
export const precedence = (ret: number): number => (ret & SECCOMP_RET_ACTION_FULL) | 0;

/**
 * The winning return value of the filters for syscall `nr`; `data` builds
 * the struct seccomp_data when a program needs more than the number.
 */
export function filterResult(s: SeccompState, nr: number, data: () => Buffer): { ret: number; filter: SeccompFilter | undefined } {
  let ret: number = SECCOMP_RET.ALLOW;
  let from: SeccompFilter | undefined;
  let built: Buffer | undefined;
  for (let i = s.filters.length - 1; i >= 0; i--) {
    const f = s.filters[i];
    let r = f.cache.get(nr);
    if (r === undefined) {
      let pure = true;
      r = runProgram(f.prog, (built ??= data()), (offset) => {
        if (offset > SECCOMP_DATA_ARCH) pure = false;
      });
      if (pure) f.cache.set(nr, r);
    }
    if (precedence(r) < precedence(ret)) {
      ret = r;
      from = f;
    }
  }
  return { ret, filter: from };
}
