/**
 * seccomp(2), prctl(PR_SET_SECCOMP/PR_GET_SECCOMP) and the check every app
 * syscall goes through before its handler (seccompVerdict, called by the
 * dispatcher). The filters are the sandbox's own classic-BPF programs
 * (kernel/seccomp/): the app's, or a container's profile the runtime
 * installed; the host never sees them.
 *
 * Actions: ALLOW and LOG run the syscall (LOG also notes it in the debug
 * log); ERRNO fails it with the filter's errno (at most 4095); TRAP skips
 * it and forces SIGSYS (si_code SYS_SECCOMP, the call address, number and
 * arch, si_errno the filter's data); KILL_THREAD ends the thread (the
 * process with SIGSYS if it was the last), KILL_PROCESS and unknown
 * actions the process. TRACE and USER_NOTIF fail with ENOSYS, as Linux
 * does when no tracer or listener is attached: the sandbox has neither
 * (SECCOMP_FILTER_FLAG_NEW_LISTENER is EINVAL). Strict mode allows read,
 * write, exit and rt_sigreturn and kills on anything else.
 */
import { Errno } from '../abi/linux/errno';
import { REG } from '../abi/linux/ptrace';
import {
  AUDIT_ARCH_X86_64, PR_GET_SECCOMP, PR_SET_SECCOMP, SECCOMP_DATA_SIZE, SECCOMP_FILTER_FLAG, SECCOMP_MODE, SECCOMP_OP, SECCOMP_RET,
  SECCOMP_RET_ACTION_FULL, SECCOMP_RET_DATA, SIGINFO_SIGSYS, SOCK_FILTER_SIZE, SOCK_FPROG, SYS_SECCOMP, BPF_MAXINSNS,
} from '../abi/linux/seccomp';
import { SIGINFO } from '../abi/linux/sigframe';
import { SIG } from '../abi/linux/signal';
import { SYS, SYSCALL_NAMES } from '../abi/linux/syscalls';
import { CAP } from '../abi/linux/capability';
import { fail } from '../errors/linuxerr';
import { checkProgram, decodeProgram } from '../kernel/seccomp/bpf';
import { filterResult, newFilter, withFilter } from '../kernel/seccomp/filter';
import { killedStatus } from '../kernel/signals';
import { forceSignal } from '../kernel/signal/send';
import { kernelInfo } from '../kernel/signal/siginfo';
import type { Task } from '../kernel/task';
import { SyscallArgs } from './args';
import { FamilyRows, partial } from './rows';
import { SyscallControl, SyscallResult } from './types';

const MAX_ERRNO = 4095;
const STRICT_ALLOWED: ReadonlySet<number> = new Set([SYS.read, SYS.write, SYS.exit, SYS.rt_sigreturn]);

/** struct seccomp_data for the syscall `t` stopped at. */
function seccompData(t: Task, nr: number, args: SyscallArgs): Buffer {
  const b = Buffer.alloc(SECCOMP_DATA_SIZE);
  b.writeInt32LE(nr | 0, 0);
  b.writeUInt32LE(AUDIT_ARCH_X86_64, 4);
  b.writeBigUInt64LE(t.regs.get(REG.rip), 8);
  for (let i = 0; i < 6; i++) b.writeBigUInt64LE(args.u64(i), 16 + 8 * i);
  return b;
}

/** SIGSYS as SECCOMP_RET_TRAP raises it. */
function trapInfo(t: Task, nr: number, data: number): Buffer {
  const info = kernelInfo(SIG.SIGSYS, SYS_SECCOMP);
  info.writeInt32LE(data, SIGINFO.ERRNO);
  info.writeBigUInt64LE(t.regs.get(REG.rip), SIGINFO_SIGSYS.CALL_ADDR);
  info.writeInt32LE(nr | 0, SIGINFO_SIGSYS.SYSCALL);
  info.writeUInt32LE(AUDIT_ARCH_X86_64, SIGINFO_SIGSYS.ARCH);
  return info;
}

/**
 * What the process's seccomp state says about this syscall: undefined to
 * run it, or the result that replaces it (an errno, or the task's end).
 */
export function seccompVerdict(t: Task, nr: number, args: SyscallArgs): SyscallResult | undefined {
  const s = t.process.seccomp;
  if (s.mode === SECCOMP_MODE.DISABLED) return undefined;
  if (s.mode === SECCOMP_MODE.STRICT) {
    if (STRICT_ALLOWED.has(nr)) return undefined;
    t.process.exit(killedStatus(SIG.SIGKILL));
    return SyscallControl.TASK_EXITED;
  }
  const { ret, filter } = filterResult(s, nr, () => seccompData(t, nr, args));
  const action = (ret & SECCOMP_RET_ACTION_FULL) >>> 0;
  const data = ret & SECCOMP_RET_DATA;
  if (filter?.log && action !== SECCOMP_RET.ALLOW) t.kernel.debug(`seccomp: ${SYSCALL_NAMES.get(nr) ?? nr} → 0x${ret.toString(16)} (pid ${t.process.pid})`);
  switch (action) {
    case SECCOMP_RET.ALLOW:
      return undefined;
    case SECCOMP_RET.LOG:
      t.kernel.debug(`seccomp log: ${SYSCALL_NAMES.get(nr) ?? nr} (pid ${t.process.pid})`);
      return undefined;
    case SECCOMP_RET.ERRNO:
      return -Math.min(data, MAX_ERRNO);
    case SECCOMP_RET.TRACE:
    case SECCOMP_RET.USER_NOTIF:
      return -Errno.ENOSYS;
    case SECCOMP_RET.TRAP:
      // Linux rolls the registers back: the handler (and the code after it) sees rax = the syscall number.
      forceSignal(t, SIG.SIGSYS, trapInfo(t, nr, data));
      return t.process.exitStatus === undefined ? nr : SyscallControl.TASK_EXITED;
    case SECCOMP_RET.KILL_THREAD:
      t.exitThread(killedStatus(SIG.SIGSYS));
      return SyscallControl.TASK_EXITED;
    default:
      t.process.exit(killedStatus(SIG.SIGSYS));
      return SyscallControl.TASK_EXITED;
  }
}

/** Reads a struct sock_fprog and its program, checked as seccomp checks it. */
function readFilter(t: Task, addr: number) {
  const fprog = t.mem.read(addr, SOCK_FPROG.SIZE);
  const len = fprog.readUInt16LE(SOCK_FPROG.LEN);
  if (len === 0 || len > BPF_MAXINSNS) fail('EINVAL', `filter length ${len}`);
  const prog = decodeProgram(t.mem.read(Number(fprog.readBigUInt64LE(SOCK_FPROG.FILTER)), len * SOCK_FILTER_SIZE));
  checkProgram(prog);
  return prog;
}

const KNOWN_FLAGS = SECCOMP_FILTER_FLAG.TSYNC | SECCOMP_FILTER_FLAG.LOG | SECCOMP_FILTER_FLAG.SPEC_ALLOW;

/** SECCOMP_SET_MODE_FILTER: needs no_new_privs or CAP_SYS_ADMIN (EACCES). */
function setFilter(t: Task, flags: number, addr: number): number {
  if (flags & ~KNOWN_FLAGS) fail('EINVAL', `filter flags 0x${flags.toString(16)}`);
  const p = t.process;
  if (!p.noNewPrivs && !p.creds.hasCap(CAP.SYS_ADMIN)) fail('EACCES', 'a filter needs no_new_privs or CAP_SYS_ADMIN');
  p.seccomp = withFilter(p.seccomp, newFilter(readFilter(t, addr), (flags & SECCOMP_FILTER_FLAG.LOG) !== 0));
  return 0;
}

function setStrict(t: Task): number {
  const p = t.process;
  if (p.seccomp.mode === SECCOMP_MODE.FILTER) fail('EINVAL', 'filters already installed');
  p.seccomp = { mode: SECCOMP_MODE.STRICT, filters: [] };
  return 0;
}

const AVAILABLE: ReadonlySet<number> = new Set([
  SECCOMP_RET.KILL_PROCESS, SECCOMP_RET.KILL_THREAD, SECCOMP_RET.TRAP, SECCOMP_RET.ERRNO, SECCOMP_RET.TRACE, SECCOMP_RET.LOG, SECCOMP_RET.ALLOW,
]);

/** seccomp(2). */
function seccomp(t: Task, a: SyscallArgs): number {
  const op = a.uint(0);
  const flags = a.uint(1);
  const uargs = a.ptr(2);
  switch (op) {
    case SECCOMP_OP.SET_MODE_STRICT:
      if (flags !== 0 || uargs !== 0) fail('EINVAL');
      return setStrict(t);
    case SECCOMP_OP.SET_MODE_FILTER:
      return setFilter(t, flags, uargs);
    case SECCOMP_OP.GET_ACTION_AVAIL: {
      if (flags !== 0) fail('EINVAL');
      const action = t.mem.read(uargs, 4).readUInt32LE(0);
      if (!AVAILABLE.has(action)) fail('EOPNOTSUPP', `action 0x${action.toString(16)}`);
      return 0;
    }
    default:
      return fail('EINVAL', `seccomp operation ${op}`);
  }
}

/** prctl's PR_SET_SECCOMP (mode 1 strict, 2 filter from arg3) and PR_GET_SECCOMP; undefined for other options. */
export function seccompPrctl(t: Task, a: SyscallArgs): number | undefined {
  switch (a.int(0)) {
    case PR_GET_SECCOMP:
      return t.process.seccomp.mode;
    case PR_SET_SECCOMP:
      if (a.u64(1) === BigInt(SECCOMP_MODE.STRICT)) return setStrict(t);
      if (a.u64(1) === BigInt(SECCOMP_MODE.FILTER)) return setFilter(t, 0, a.ptr(2));
      return fail('EINVAL', `seccomp mode ${a.u64(1)}`);
    default:
      return undefined;
  }
}

export const seccompSyscalls: FamilyRows = {
  seccomp: partial(seccomp, 'strict and filter modes, GET_ACTION_AVAIL; filters are per process (TSYNC implied); no user notification (NEW_LISTENER EINVAL, USER_NOTIF and TRACE give ENOSYS)'),
};
