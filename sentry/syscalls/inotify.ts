/**
 * inotify_init/inotify_init1/inotify_add_watch/inotify_rm_watch
 * (inotify(7)). The instance is fsimpl/inotify; the events come from the
 * VFS (vfs/fsnotify.ts): operations made in this sandbox, not changes made
 * on the host behind a Gofer. No IN_UNMOUNT (sandbox mounts are never
 * unmounted).
 */
import { AT_FDCWD, R_OK } from '../abi/linux/fs';
import { IN, IN_ALL_BITS, IN_CLOEXEC, IN_NONBLOCK, INOTIFY_MAX_USER_INSTANCES } from '../abi/linux/inotify';
import { fail } from '../errors/linuxerr';
import { Inotify, INOTIFY_MAX_WATCHES } from '../fsimpl/inotify/inotify';
import type { Task } from '../kernel/task';
import { watchCount } from '../vfs/fsnotify';
import { isDir } from '../vfs/inode';
import { checkAccess } from '../vfs/perm';
import type { SyscallArgs } from './args';
import { installNew } from './eventfd';
import { readPath } from './fs-mem';
import { FamilyRows, partial, supported } from './rows';

let instances = 0;

/** inotify_init1(2): IN_NONBLOCK and IN_CLOEXEC; EMFILE past max_user_instances (128) in the sandbox. */
function create(t: Task, flags: number): number {
  if (flags & ~(IN_NONBLOCK | IN_CLOEXEC)) fail('EINVAL', `inotify_init1 flags ${flags}`);
  if (instances >= INOTIFY_MAX_USER_INSTANCES) fail('EMFILE', 'max_user_instances reached');
  const f = new Inotify(flags & IN_NONBLOCK);
  instances++;
  f.onLastClose(() => instances--);
  return installNew(t, f, (flags & IN_CLOEXEC) !== 0);
}

function inotifyInit1(t: Task, a: SyscallArgs): number {
  return create(t, a.int(0));
}

function inotifyInit(t: Task): number {
  return create(t, 0);
}

function instance(t: Task, fd: number): Inotify {
  return t.process.fds.getKind(fd, Inotify, 'EINVAL', 'an inotify instance');
}

/**
 * inotify_add_watch(2): the mask is checked first (EINVAL: IN_MASK_ADD
 * with IN_MASK_CREATE, or no known bit), then the fd (EBADF, EINVAL), then
 * the path (followed unless IN_DONT_FOLLOW; ENOTDIR with IN_ONLYDIR for a
 * non-directory), which must be readable (EACCES).
 */
function inotifyAddWatch(t: Task, a: SyscallArgs): number {
  const mask = a.uint(2);
  if (mask & IN.MASK_ADD && mask & IN.MASK_CREATE) fail('EINVAL', 'IN_MASK_ADD with IN_MASK_CREATE');
  if ((mask & IN_ALL_BITS) === 0) fail('EINVAL', `inotify mask ${mask}`);
  const ino = instance(t, a.int(0));
  const loc = t.process.mounts.resolve(t, AT_FDCWD, readPath(t, a.ptr(1)), (mask & IN.DONT_FOLLOW) === 0);
  if (mask & IN.ONLYDIR && !isDir(loc.inode.mode)) fail('ENOTDIR', loc.path);
  checkAccess(t.process.creds, loc.inode.stat(), R_OK, `inotify watch ${loc.path}`);
  return ino.watch(loc.inode, mask, watchCount() < INOTIFY_MAX_WATCHES);
}

/** inotify_rm_watch(2): EINVAL for a wd the instance does not have; queues IN_IGNORED. */
function inotifyRmWatch(t: Task, a: SyscallArgs): number {
  instance(t, a.int(0)).unwatch(a.int(1));
  return 0;
}

export const inotifyRows: FamilyRows = {
  inotify_init: supported(inotifyInit),
  inotify_init1: supported(inotifyInit1),
  inotify_add_watch: partial(inotifyAddWatch, 'events of operations in the sandbox only (not host changes behind a Gofer); no IN_UNMOUNT'),
  inotify_rm_watch: supported(inotifyRmWatch),
};
