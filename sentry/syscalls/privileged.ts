/**
 * Host-level operations that a sandboxed app may never perform. They fail
 * with the errno an unprivileged Linux caller gets, so programs take their
 * usual fallback paths; none of them ever reaches the host.
 */
import { fail } from '../errors/linuxerr';
import { SyscallArgs } from './args';
import { Task } from '../kernel/task';
import { FamilyRows, error, partial } from './rows';

const NO_CAP = 'needs host privileges the sandbox never grants';

/** unshare(2): flags 0 is a no-op success on Linux; new namespaces are not available in the sandbox. */
function unshare(t: Task, a: SyscallArgs): number {
  if (a.u64(0) !== 0n) fail('EPERM', 'namespaces inside the sandbox are not supported');
  return 0;
}

export const privilegedSyscalls: FamilyRows = {
  reboot: error('EPERM', NO_CAP),
  kexec_load: error('EPERM', NO_CAP),
  kexec_file_load: error('EPERM', NO_CAP),
  init_module: error('EPERM', NO_CAP),
  finit_module: error('EPERM', NO_CAP),
  delete_module: error('EPERM', NO_CAP),
  mount: error('EPERM', 'mounts inside the sandbox are not supported'),
  umount2: error('EPERM', 'mounts inside the sandbox are not supported'),
  pivot_root: error('EPERM', NO_CAP),
  unshare: partial(unshare, 'only flags 0'),
  setns: error('EPERM', 'namespaces inside the sandbox are not supported'),
  bpf: error('EPERM', NO_CAP),
  perf_event_open: error('EACCES', 'performance counters are not exposed'),
  ptrace: error('EPERM', 'ptrace inside the sandbox is not supported'),
  process_vm_readv: error('EPERM', 'ptrace access inside the sandbox is not supported'),
  process_vm_writev: error('EPERM', 'ptrace access inside the sandbox is not supported'),
  swapon: error('EPERM', NO_CAP),
  swapoff: error('EPERM', NO_CAP),
  acct: error('EPERM', NO_CAP),
  settimeofday: error('EPERM', 'the sandbox clock follows the host'),
  clock_settime: error('EPERM', 'the sandbox clock follows the host'),
  clock_adjtime: error('EPERM', 'the sandbox clock follows the host'),
  adjtimex: error('EPERM', 'the sandbox clock follows the host'),
  iopl: error('EPERM', NO_CAP),
  ioperm: error('EPERM', NO_CAP),
  quotactl: error('EPERM', NO_CAP),
  vhangup: error('EPERM', NO_CAP),
  lookup_dcookie: error('EPERM', NO_CAP),
  open_by_handle_at: error('EPERM', NO_CAP),
  name_to_handle_at: error('EOPNOTSUPP', 'file handles are not exported'),
  fanotify_init: error('EPERM', NO_CAP),
  keyctl: error('ENOSYS', 'kernel keyrings are not supported'),
  add_key: error('ENOSYS', 'kernel keyrings are not supported'),
  request_key: error('ENOSYS', 'kernel keyrings are not supported'),
  userfaultfd: error('ENOSYS', 'userfaultfd is not supported'),
  modify_ldt: error('ENOSYS', 'LDT changes are not supported'),
  uselib: error('ENOSYS', 'obsolete'),
};
