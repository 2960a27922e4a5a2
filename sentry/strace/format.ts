/**
 * --strace output: each syscall with decoded arguments and its result,
 * strace-style. Formatting reads app memory only for display; failures to
 * read show the raw pointer.
 */
import { ERRNO_NAMES } from '../abi/linux/errno';
import { SYSCALL_NAMES, SyscallName } from '../abi/linux/syscalls';
import { Task } from '../kernel/task';
import { readCString } from '../kernel/usermem';
import { SyscallArgs } from '../syscalls/args';
import { SyscallControl, SyscallResult } from '../syscalls/types';

/**
 * Argument kinds: d = int, u = size/unsigned, x = hex/pointer, s = path
 * string, i = input buffer (length in the next argument), o = output
 * buffer (length is the result), a = string array (argv/envp).
 */
type Sig = string;

const SIGS: Partial<Record<SyscallName, Sig>> = {
  read: 'dou', write: 'diu', pread64: 'doud', pwrite64: 'diud', readv: 'dxd', writev: 'dxd',
  open: 'sxx', openat: 'dsxx', creat: 'sx', close: 'd', stat: 'sx', lstat: 'sx', fstat: 'dx',
  newfstatat: 'dsxx', statx: 'dsxxx', lseek: 'ddd', mmap: 'xuxxdx', mprotect: 'xux', munmap: 'xu',
  brk: 'x', ioctl: 'dxx', access: 'sx', faccessat: 'dsx', faccessat2: 'dsxx', execve: 'saa',
  execveat: 'dsaax', exit: 'd', exit_group: 'd', getdents64: 'dxu', readlink: 'sxu', readlinkat: 'dsxu',
  chdir: 's', mkdir: 'sx', mkdirat: 'dsx', rmdir: 's', unlink: 's', unlinkat: 'dsx', rename: 'ss',
  renameat: 'dsds', renameat2: 'dsdsx', symlink: 'ss', symlinkat: 'sds', link: 'ss', chmod: 'sx',
  fchmodat: 'dsx', dup: 'd', dup2: 'dd', dup3: 'ddx', fcntl: 'ddx', arch_prctl: 'xx', kill: 'dd',
  tgkill: 'ddd', rt_sigaction: 'dxxu', rt_sigprocmask: 'dxxu', uname: 'x', getcwd: 'xu',
  clock_gettime: 'dx', nanosleep: 'xx', getrandom: 'xux', prlimit64: 'ddxx', set_tid_address: 'x',
  truncate: 'sd', ftruncate: 'dd', utimensat: 'dsxx', statfs: 'sx', mremap: 'xuuxx', madvise: 'xud',
};

function quote(b: Buffer, limit = 32): string {
  const s = JSON.stringify(b.subarray(0, limit).toString('latin1'));
  return b.length > limit ? `${s}...` : s;
}

function safe(f: () => string, fallback: string): string {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function stringArray(t: Task, addr: number): string {
  return safe(() => {
    const items: string[] = [];
    for (let i = 0; i < 8; i++) {
      const p = Number(t.mem.read(addr + i * 8, 8).readBigUInt64LE(0));
      if (p === 0) return `[${items.join(', ')}]`;
      items.push(JSON.stringify(readCString(t.mem, p)));
    }
    return `[${items.join(', ')}, ...]`;
  }, `0x${addr.toString(16)}`);
}

function formatArg(t: Task, kind: string, a: SyscallArgs, i: number): string {
  const hex = `0x${a.u64(i).toString(16)}`;
  switch (kind) {
    case 'd':
      return String(a.int(i));
    case 'u':
      return String(a.u64(i));
    case 's':
      return a.ptr(i) === 0 ? 'NULL' : safe(() => JSON.stringify(readCString(t.mem, a.ptr(i))), hex);
    case 'i':
      return safe(() => quote(t.mem.read(a.ptr(i), Math.min(a.size(i + 1), 32))), hex);
    case 'a':
      return stringArray(t, a.ptr(i));
    default:
      return hex;
  }
}

function nameOf(nr: number): string {
  return SYSCALL_NAMES.get(nr) ?? `syscall_${nr}`;
}

/** "name(arg, arg, …)" at syscall entry (output buffers are filled in by formatResult). */
export function formatCall(t: Task, nr: number, a: SyscallArgs): string {
  const name = nameOf(nr);
  const sig = SIGS[name as SyscallName] ?? 'xxxxxx';
  const parts = [...sig].map((k, i) => formatArg(t, k, a, i));
  return `${name}(${parts.join(', ')})`;
}

/** The result, and for read-like calls the bytes that came back. */
export function formatResult(t: Task, nr: number, a: SyscallArgs, r: SyscallResult): string {
  if (r === SyscallControl.TASK_EXITED) return '?';
  if (r === SyscallControl.REGS_SET) return '0';
  const v = typeof r === 'bigint' ? r : BigInt(r);
  if (v < 0n && v >= -4095n) {
    const errno = Number(-v);
    return `-1 ${ERRNO_NAMES.get(errno) ?? errno}`;
  }
  const sig = SIGS[nameOf(nr) as SyscallName];
  const out = sig?.indexOf('o') ?? -1;
  const shown = out >= 0 ? ` [${safe(() => quote(t.mem.read(a.ptr(out), Math.min(Number(v), 32))), '?')}]` : '';
  return v > 0xffffn ? `0x${v.toString(16)}${shown}` : `${v}${shown}`;
}
