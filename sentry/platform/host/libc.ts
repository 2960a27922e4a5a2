/**
 * The only place the Sentry calls into libc (through koffi). Everything above
 * this layer is plain TypeScript. Prototypes use fixed integer arguments for
 * glibc's variadic ptrace/syscall/prctl, which is ABI-compatible on x86_64.
 * Hot paths pass Buffers/TypedArrays (no koffi struct marshalling).
 */
import koffi from './koffi';

const libc = koffi.load('libc.so.6');

export const raw = {
  ptraceI: libc.func('long ptrace(long req, int pid, uintptr_t addr, uintptr_t data)'),
  ptraceP: libc.func('long ptrace(long req, int pid, uintptr_t addr, void *data)'),
  waitpid: libc.func('int waitpid(int pid, void *status, int options)'),
  processVmReadv: libc.func(
    'long process_vm_readv(int pid, void *liov, unsigned long liovcnt, void *riov, unsigned long riovcnt, unsigned long flags)',
  ),
  processVmWritev: libc.func(
    'long process_vm_writev(int pid, void *liov, unsigned long liovcnt, void *riov, unsigned long riovcnt, unsigned long flags)',
  ),
  posixSpawn: libc.func(
    'int posix_spawn(_Out_ int *pid, const char *path, void *fileActions, void *attr, const char **argv, const char **envp)',
  ),
  fileActionsInit: libc.func('int posix_spawn_file_actions_init(void *fa)'),
  fileActionsAddDup2: libc.func('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)'),
  fileActionsAddClosefrom: libc.func('int posix_spawn_file_actions_addclosefrom_np(void *fa, int from)'),
  fileActionsDestroy: libc.func('int posix_spawn_file_actions_destroy(void *fa)'),
  spawnAttrInit: libc.func('int posix_spawnattr_init(void *attr)'),
  spawnAttrSetflags: libc.func('int posix_spawnattr_setflags(void *attr, short flags)'),
  spawnAttrDestroy: libc.func('int posix_spawnattr_destroy(void *attr)'),
  schedSetaffinity: libc.func('int sched_setaffinity(int pid, size_t size, void *mask)'),
  schedGetcpu: libc.func('int sched_getcpu()'),
  kill: libc.func('int kill(int pid, int sig)'),
  read: libc.func('long read(int fd, void *buf, size_t count)'),
  write: libc.func('long write(int fd, void *buf, size_t count)'),
  pread: libc.func('long pread(int fd, void *buf, size_t count, long off)'),
  pwrite: libc.func('long pwrite(int fd, void *buf, size_t count, long off)'),
  ftruncate: libc.func('int ftruncate(int fd, long length)'),
  fallocate: libc.func('int fallocate(int fd, int mode, long offset, long len)'),
  lseek: libc.func('long lseek(int fd, long offset, int whence)'),
  close: libc.func('int close(int fd)'),
  socketpair: libc.func('int socketpair(int domain, int type, int protocol, void *sv)'),
  // The socket calls (unix sockets, the packet link, host-mode sockets): one binding each.
  socket: libc.func('int socket(int domain, int type, int protocol)'),
  bind: libc.func('int bind(int fd, void *addr, unsigned int len)'),
  connect: libc.func('int connect(int fd, void *addr, unsigned int len)'),
  listen: libc.func('int listen(int fd, int backlog)'),
  accept4: libc.func('int accept4(int fd, void *addr, void *len, int flags)'),
  getsockopt: libc.func('int getsockopt(int fd, int level, int name, void *val, void *len)'),
  setsockopt: libc.func('int setsockopt(int fd, int level, int name, void *val, unsigned int len)'),
  shutdown: libc.func('int shutdown(int fd, int how)'),
  sendmsg: libc.func('long sendmsg(int fd, void *msg, int flags)'),
  recvmsg: libc.func('long recvmsg(int fd, void *msg, int flags)'),
  memfdCreate: libc.func('int memfd_create(const char *name, unsigned int flags)'),
  prctl: libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
  syscall3: libc.func('long syscall(long nr, long a1, long a2, void *a3)'),
  syscall6: libc.func('long syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)'),
  getpid: libc.func('int getpid()'),
  ioctlP: libc.func('int ioctl(int fd, unsigned long req, void *arg)'),
  fcntl: libc.func('int fcntl(int fd, int cmd, long arg)'),
  poll: libc.func('int poll(void *fds, unsigned long nfds, int timeout)'),
  isatty: libc.func('int isatty(int fd)'),
  getrandom: libc.func('long getrandom(void *buf, size_t len, unsigned int flags)'),
  mmap: libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)'),
  mprotect: libc.func('int mprotect(void *addr, size_t len, int prot)'),
  memcpy: libc.func('void *memcpy(void *dst, const void *src, size_t n)'),
};

export function errno(): number {
  return koffi.errno();
}

/** Address of a Buffer's first byte, for raw iovecs and pointer arguments. */
export function addressOf(buf: Uint8Array): bigint {
  return koffi.address(buf) as bigint;
}

/** Error from a failed host call, carrying the host errno. */
export class HostError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call} failed: errno ${errno}`);
    this.name = 'HostError';
  }
}

/** Throws HostError when a libc call returned -1. */
export function check<T extends number | bigint>(call: string, ret: T): T {
  if (Number(ret) === -1) throw new HostError(call, errno());
  return ret;
}
