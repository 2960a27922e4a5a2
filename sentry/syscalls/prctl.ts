/** prctl(2) and personality(2): per-process knobs the sandbox models. */
import { ADDR_NO_RANDOMIZE, PER_LINUX, PERSONALITY_QUERY } from '../abi/linux/personality';
import { fail } from '../errors/linuxerr';
import { Task } from '../kernel/task';
import { readCString, writeI32, writeU64 } from '../kernel/usermem';
import { validSignal } from '../kernel/signals';
import { SyscallArgs } from './args';
import { FamilyRows, partial } from './rows';
import { seccompPrctl } from './seccomp';
import { CAP, CAP_LAST_CAP, capBit, PR_CAP, PR_CAP_AMBIENT_OP, SECBIT_KEEP_CAPS } from '../abi/linux/capability';

/** A valid capability number argument, else EINVAL. */
function capArg(a: SyscallArgs, i: number): bigint {
  const cap = a.u64(i);
  if (cap > BigInt(CAP_LAST_CAP)) fail('EINVAL', `capability ${cap}`);
  return capBit(Number(cap));
}

/**
 * The capability options of prctl(2): the bounding set (read; drop with
 * CAP_SETPCAP), the ambient set (raise only what is permitted and
 * inheritable) and keep-caps. Securebits other than KEEP_CAPS are not
 * modelled: PR_SET_SECUREBITS is EINVAL.
 */
function capabilityPrctl(t: Task, a: SyscallArgs): number | undefined {
  const creds = t.process.creds;
  const caps = creds.caps;
  switch (a.int(0)) {
    case PR_CAP.CAPBSET_READ:
      return (caps.bounding & capArg(a, 1)) !== 0n ? 1 : 0;
    case PR_CAP.CAPBSET_DROP: {
      const bit = capArg(a, 1);
      if (!creds.hasCap(CAP.SETPCAP)) fail('EPERM', 'PR_CAPBSET_DROP needs CAP_SETPCAP');
      caps.bounding &= ~bit;
      return 0;
    }
    case PR_CAP.GET_KEEPCAPS:
      return creds.keepCaps ? 1 : 0;
    case PR_CAP.SET_KEEPCAPS:
      if (a.u64(1) > 1n) fail('EINVAL');
      creds.keepCaps = a.u64(1) === 1n;
      return 0;
    case PR_CAP.GET_SECUREBITS:
      return creds.keepCaps ? SECBIT_KEEP_CAPS : 0;
    case PR_CAP.AMBIENT:
      return ambient(t, a);
    default:
      return undefined;
  }
}

/** PR_CAP_AMBIENT: IS_SET, RAISE (permitted and inheritable only), LOWER, CLEAR_ALL. */
function ambient(t: Task, a: SyscallArgs): number {
  const caps = t.process.creds.caps;
  const op = a.u64(1);
  if (op === BigInt(PR_CAP_AMBIENT_OP.CLEAR_ALL)) {
    if (a.u64(2) | a.u64(3) | a.u64(4)) fail('EINVAL');
    caps.ambient = 0n;
    return 0;
  }
  const bit = capArg(a, 2);
  if (a.u64(3) | a.u64(4)) fail('EINVAL');
  switch (op) {
    case BigInt(PR_CAP_AMBIENT_OP.IS_SET):
      return (caps.ambient & bit) !== 0n ? 1 : 0;
    case BigInt(PR_CAP_AMBIENT_OP.RAISE):
      if ((caps.permitted & caps.inheritable & bit) === 0n) fail('EPERM', 'ambient capability not permitted and inheritable');
      caps.ambient |= bit;
      return 0;
    case BigInt(PR_CAP_AMBIENT_OP.LOWER):
      caps.ambient &= ~bit;
      return 0;
    default:
      return fail('EINVAL', `PR_CAP_AMBIENT op ${op}`);
  }
}

const PR = {
  SET_PDEATHSIG: 1, GET_PDEATHSIG: 2, GET_DUMPABLE: 3, SET_DUMPABLE: 4,
  SET_NAME: 15, GET_NAME: 16,
  GET_TIMERSLACK: 30, SET_TIMERSLACK: 29, SET_CHILD_SUBREAPER: 36, GET_CHILD_SUBREAPER: 37,
  SET_NO_NEW_PRIVS: 38, GET_NO_NEW_PRIVS: 39, GET_TID_ADDRESS: 40, SET_THP_DISABLE: 41, GET_THP_DISABLE: 42,
};
const TASK_COMM_LEN = 16;

/**
 * prctl(2) for the options programs use at start-up: names, dumpable,
 * no_new_privs, capabilities (capabilityPrctl), seccomp, subreaper and timer
 * slack queries. PR_SET_PDEATHSIG is per thread and delivered when the
 * thread that created the caller's process ends, or its whole process
 * (kernel/pdeath.ts); it is not reset by set-id exec or credential changes.
 * Other options are EINVAL, as Linux answers for options it does not know.
 */
function prctl(t: Task, a: SyscallArgs): number {
  const p = t.process;
  const own = capabilityPrctl(t, a) ?? seccompPrctl(t, a);
  if (own !== undefined) return own;
  switch (a.int(0)) {
    case PR.SET_NAME:
      p.comm = readCString(t.mem, a.ptr(1), TASK_COMM_LEN).slice(0, TASK_COMM_LEN - 1);
      return 0;
    case PR.GET_NAME: {
      const b = Buffer.alloc(TASK_COMM_LEN);
      b.write(p.comm.slice(0, TASK_COMM_LEN - 1));
      t.mem.write(a.ptr(1), b);
      return 0;
    }
    case PR.SET_PDEATHSIG:
      if (a.int(1) !== 0 && !validSignal(a.int(1))) fail('EINVAL');
      t.pdeathSignal = a.int(1);
      return 0;
    case PR.GET_PDEATHSIG:
      writeI32(t.mem, a.ptr(1), t.pdeathSignal);
      return 0;
    case PR.GET_DUMPABLE:
      return p.dumpable;
    case PR.SET_DUMPABLE:
      if (a.int(1) !== 0 && a.int(1) !== 1) fail('EINVAL');
      p.dumpable = a.int(1);
      return 0;
    case PR.SET_NO_NEW_PRIVS:
      if (a.int(1) !== 1 || a.u64(2) | a.u64(3) | a.u64(4)) fail('EINVAL');
      p.noNewPrivs = 1;
      return 0;
    case PR.GET_NO_NEW_PRIVS:
      return p.noNewPrivs;
    case PR.GET_CHILD_SUBREAPER:
    case PR.GET_THP_DISABLE:
      return 0;
    case PR.GET_TIMERSLACK:
      return 50000;
    case PR.GET_TID_ADDRESS:
      writeU64(t.mem, a.ptr(1), BigInt(t.clearChildTid));
      return 0;
    default:
      return fail('EINVAL', `prctl option ${a.int(0)}`);
  }
}

/**
 * personality(2): PER_LINUX, with or without ADDR_NO_RANDOMIZE (which the
 * next exec honours: setarch -R); returns the old value. Other execution
 * domains and flags are EINVAL; the query form only returns.
 */
function personality(t: Task, a: SyscallArgs): number {
  const v = a.uint(0);
  const old = t.process.personality;
  if (v === PERSONALITY_QUERY) return old;
  if ((v & ~ADDR_NO_RANDOMIZE) !== PER_LINUX) fail('EINVAL', `personality ${v.toString(16)}`);
  t.process.personality = v;
  return old;
}

export const prctlSyscalls: FamilyRows = {
  prctl: partial(prctl, 'names, PR_SET_PDEATHSIG (per thread, not reset by set-id exec), dumpable, no_new_privs, queries, bounding/ambient capability sets and keep-caps, seccomp (syscalls/seccomp.ts); PR_SET_SECUREBITS, PR_SET_MM and newer options are EINVAL'),
  personality: partial(personality, 'only PER_LINUX, with or without ADDR_NO_RANDOMIZE'),
};
