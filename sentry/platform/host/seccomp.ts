/**
 * The Sentry's own seccomp-bpf filter, installed on every Node thread
 * (TSYNC) once start-up is done. It denies the host operations the Sentry
 * must never need: opening files or sockets, changing the host file tree,
 * mounts, namespaces, modules and exec. With `--network=host` the Sentry
 * makes the app's sockets on the host: AF_INET stream and datagram
 * sockets and connect/bind/listen/accept4 are then allowed. Denials return
 * EPERM rather than killing, because glibc and V8 probe some files at run
 * time and cope with the error. A syscall from another ABI kills the process.
 */
import koffi from './koffi';
import { SYS, SyscallName } from '../../abi/linux/syscalls';
import {
  AUDIT_ARCH_X86_64, BPF, PR_SET_NO_NEW_PRIVS, SECCOMP_DATA_ARCH, SECCOMP_DATA_ARG0, SECCOMP_DATA_ARG1, SECCOMP_DATA_NR, SECCOMP_FILTER_FLAG_TSYNC,
  SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_SET_MODE_FILTER, X32_SYSCALL_BIT,
} from '../../abi/linux/seccomp';
import { Errno } from '../../abi/linux/errno';
import { AF, SOCK } from '../../abi/linux/socket';
import { raw, errno, HostError } from './libc';

export const SENTRY_DENIED: readonly SyscallName[] = [
  'open', 'openat', 'openat2', 'creat', 'open_by_handle_at', 'name_to_handle_at',
  'socket', 'socketpair', 'connect', 'bind', 'listen', 'accept', 'accept4',
  'mknod', 'mknodat', 'mkdir', 'mkdirat', 'rmdir', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2',
  'link', 'linkat', 'symlink', 'symlinkat', 'chmod', 'fchmodat', 'chown', 'lchown', 'fchownat', 'truncate',
  'mount', 'umount2', 'pivot_root', 'chroot', 'unshare', 'setns', 'execve', 'execveat',
  'init_module', 'finit_module', 'delete_module', 'kexec_load', 'kexec_file_load', 'reboot',
  'bpf', 'perf_event_open', 'keyctl', 'add_key', 'request_key', 'userfaultfd', 'uselib',
  'swapon', 'swapoff', 'acct', 'settimeofday', 'clock_settime', 'adjtimex', 'iopl', 'ioperm', 'quotactl',
];

type Insn = [code: number, jt: number, jf: number, k: number];

const DENY_EPERM = SECCOMP_RET_ERRNO | Errno.EPERM;

/**
 * Builds a classic-BPF program: kill on a foreign arch or the x32 ABI,
 * then the `rules` (blocks that return, or fall through with the syscall
 * number still loaded), `listed` for the named syscalls, `other` for the rest.
 */
export function buildFilter(names: readonly SyscallName[], listed: number, other: number, rules: readonly Insn[][] = []): Buffer {
  const prog: Insn[] = [
    [BPF.LD_W_ABS, 0, 0, SECCOMP_DATA_ARCH],
    [BPF.JEQ_K, 1, 0, AUDIT_ARCH_X86_64],
    [BPF.RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS],
    [BPF.LD_W_ABS, 0, 0, SECCOMP_DATA_NR],
    [BPF.JGE_K, 0, 1, X32_SYSCALL_BIT],
    [BPF.RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS],
  ];
  for (const r of rules) prog.push(...r);
  names.forEach((name, i) => prog.push([BPF.JEQ_K, names.length - i, 0, SYS[name]]));
  prog.push([BPF.RET_K, 0, 0, other]);
  prog.push([BPF.RET_K, 0, 0, listed]);
  const b = Buffer.alloc(prog.length * 8);
  prog.forEach(([code, jt, jf, k], i) => {
    b.writeUInt16LE(code, i * 8);
    b.writeUInt8(jt, i * 8 + 2);
    b.writeUInt8(jf, i * 8 + 3);
    b.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return b;
}

/**
 * accept4 on that one fd (the pod's control socket) only; the test of the
 * argument's low 32 bits is exact because fds are ints.
 */
function acceptOnlyOn(fd: number): Insn[] {
  return [
    [BPF.JEQ_K, 0, 4, SYS.accept4],
    [BPF.LD_W_ABS, 0, 0, SECCOMP_DATA_ARG0],
    [BPF.JEQ_K, 0, 1, fd],
    [BPF.RET_K, 0, 0, SECCOMP_RET_ALLOW],
    [BPF.RET_K, 0, 0, DENY_EPERM],
  ];
}

/**
 * socket(2) for AF_INET stream and datagram sockets only (whatever
 * SOCK_NONBLOCK/SOCK_CLOEXEC); every other socket is denied. The kernel
 * reads these int arguments as their low 32 bits, which is what is tested.
 */
function inetSocketsOnly(): Insn[] {
  return [
    [BPF.JEQ_K, 0, 8, SYS.socket],
    [BPF.LD_W_ABS, 0, 0, SECCOMP_DATA_ARG0],
    [BPF.JEQ_K, 0, 4, AF.INET],
    [BPF.LD_W_ABS, 0, 0, SECCOMP_DATA_ARG1],
    [BPF.AND_K, 0, 0, SOCK.TYPE_MASK],
    [BPF.JEQ_K, 2, 0, SOCK.STREAM],
    [BPF.JEQ_K, 1, 0, SOCK.DGRAM],
    [BPF.RET_K, 0, 0, DENY_EPERM],
    [BPF.RET_K, 0, 0, SECCOMP_RET_ALLOW],
  ];
}

/** What `--network=host` needs beyond the default filter (with AF_INET socket(2), see inetSocketsOnly). */
export const HOST_NETWORK_ALLOWED: readonly SyscallName[] = ['connect', 'bind', 'listen', 'accept4'];

export interface SentryFilterOptions {
  /** A listening socket the Sentry may still accept connections on (the pod's control socket). */
  acceptFd?: number;
  /** `--network=host`: the Sentry makes AF_INET sockets for the app (and accept4 is allowed on any fd). */
  hostNetwork?: boolean;
}

export function buildSentryFilter(o: SentryFilterOptions = {}): Buffer {
  if (o.hostNetwork) {
    const denied = SENTRY_DENIED.filter((n) => !HOST_NETWORK_ALLOWED.includes(n));
    return buildFilter(denied, DENY_EPERM, SECCOMP_RET_ALLOW, [inetSocketsOnly()]);
  }
  return buildFilter(SENTRY_DENIED, DENY_EPERM, SECCOMP_RET_ALLOW, o.acceptFd === undefined ? [] : [acceptOnlyOn(o.acceptFd)]);
}

/**
 * The stub's filter: only the syscalls the Sentry injects. App syscalls
 * never reach it (PTRACE_SYSEMU stops and skips them before seccomp runs),
 * so it only matters if the stub ever ran on its own: then it dies.
 */
export const STUB_ALLOWED: readonly SyscallName[] = ['mmap', 'munmap', 'mprotect', 'mremap', 'madvise', 'mincore', 'clone', 'exit', 'exit_group'];

export function buildStubFilter(): Buffer {
  return buildFilter(STUB_ALLOWED, SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS);
}

const SOCK_FPROG_SIZE = 16;

/** struct sock_fprog pointing at `filter` (which must stay alive while it is used). */
export function sockFprog(filter: Buffer, filterAddress: bigint): Buffer {
  const fprog = Buffer.alloc(SOCK_FPROG_SIZE);
  fprog.writeUInt16LE(filter.length / 8, 0);
  fprog.writeBigUInt64LE(filterAddress, 8);
  return fprog;
}

/** Installs the filter on all threads of this process. Irreversible. */
export function installSentryFilter(o: SentryFilterOptions = {}): void {
  const filter = buildSentryFilter(o);
  // The sock_fprog and its program in one Buffer, the syscall's argument: a raw address would not keep a separate program alive.
  const fprog = Buffer.alloc(SOCK_FPROG_SIZE + filter.length);
  filter.copy(fprog, SOCK_FPROG_SIZE);
  sockFprog(filter, (koffi.address(fprog) as bigint) + BigInt(SOCK_FPROG_SIZE)).copy(fprog);
  if ((raw.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) as number) !== 0) throw new HostError('PR_SET_NO_NEW_PRIVS', errno());
  const r = raw.syscall3(SYS.seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, fprog) as number;
  if (r !== 0) throw new HostError('seccomp(SET_MODE_FILTER)', errno());
}
