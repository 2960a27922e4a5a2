/**
 * The RuntimeDefault seccomp profile for gvisor containers, built on the
 * same principles as containerd's and Docker's default: every syscall is
 * allowed except those that act on the whole machine or escape the
 * container's namespaces, which return EPERM; the privileged ones are
 * allowed only when the container holds the capability that governs them;
 * clone may not create namespaces without CAP_SYS_ADMIN (and clone3,
 * whose flags a filter cannot read, reports ENOSYS so libc falls back to
 * clone); personality only takes the harmless personas; AF_VSOCK sockets
 * are refused.
 *
 * The list is derived from the syscall table (everything the x86_64 ABI
 * has, minus the denied and the capability-gated ones), so a syscall the
 * Sentry learns later is allowed unless it is listed here.
 */
import { SYS, type SyscallName } from '../../sentry/abi/linux/syscalls';
import type { SeccompProfile, SeccompRule } from '../../sentry/kernel/seccomp/profile';

/** Never allowed: machine-wide, obsolete or kernel-attack-surface syscalls no container needs. */
const DENIED: SyscallName[] = [
  'kexec_load', 'kexec_file_load', 'open_by_handle_at', 'add_key', 'request_key', 'keyctl', 'userfaultfd', 'uselib', 'ustat', 'sysfs',
  '_sysctl', 'nfsservctl', 'create_module', 'get_kernel_syms', 'query_module', 'afs_syscall', 'tuxcall', 'security', 'vserver', 'getpmsg',
  'putpmsg', 'epoll_ctl_old', 'epoll_wait_old', 'swapon', 'swapoff', 'pivot_root', 'modify_ldt', 'io_uring_setup', 'io_uring_enter',
  'io_uring_register', 'move_pages', 'migrate_pages', 'set_mempolicy_home_node', 'memfd_secret', 'lookup_dcookie',
];

/** Allowed only with the capability (containerd's includes.caps). */
const BY_CAPABILITY: Record<string, SyscallName[]> = {
  CAP_SYS_ADMIN: [
    'mount', 'umount2', 'unshare', 'setns', 'sethostname', 'setdomainname', 'quotactl', 'quotactl_fd', 'fanotify_init', 'open_tree',
    'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr', 'bpf', 'perf_event_open', 'clone3',
  ],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'process_madvise'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'clock_settime', 'clock_adjtime'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYS_NICE: ['mbind', 'set_mempolicy', 'get_mempolicy'],
  CAP_SYSLOG: ['syslog'],
};

/** Checked by argument below. */
const CONDITIONAL: SyscallName[] = ['clone', 'clone3', 'personality', 'socket'];

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET. */
const CLONE_NAMESPACES = 0x7e020000;
const AF_VSOCK = 40;
const ENOSYS = 38;
/** PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32|UNAME26, and the query value. */
const PERSONAS = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

export function runtimeDefaultProfile(): SeccompProfile {
  const gated = new Set(Object.values(BY_CAPABILITY).flat());
  const excluded = new Set<string>([...DENIED, ...gated, ...CONDITIONAL]);
  const allowed = (Object.keys(SYS) as SyscallName[]).filter((n) => !excluded.has(n));
  const rules: SeccompRule[] = [
    { names: allowed, action: 'SCMP_ACT_ALLOW' },
    ...Object.entries(BY_CAPABILITY).map(([cap, names]): SeccompRule => ({ names, action: 'SCMP_ACT_ALLOW', includes: { caps: [cap] } })),
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACES, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    ...PERSONAS.map((p): SeccompRule => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: p, op: 'SCMP_CMP_EQ' }] })),
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] },
  ];
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, syscalls: rules };
}
