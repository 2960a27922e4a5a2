/**
 * Files on Linux's anonymous inode (eventfd, timerfd, epoll): one shared
 * inode, mode 0600 with no file type, no offsets.
 */
import { StreamFileBase, Stat, Timespec } from '../../vfs/file';

/** anon_inodefs's device and its single inode number (values apps only compare). */
const ANON_DEV = 14;
const ANON_INO = 1;
const EPOCH: Timespec = { sec: 0, nsec: 0 };

export abstract class AnonFile extends StreamFileBase {
  /** `kind` names the file in /proc/[pid]/fd: anon_inode:[kind] (or `name`, as inotify's bracketless one). */
  constructor(kind: string, flags: number, name = `anon_inode:[${kind}]`) {
    super(name, flags);
  }

  stat(): Stat {
    return {
      dev: ANON_DEV, ino: ANON_INO, mode: 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0,
      size: 0, blksize: 4096, blocks: 0, atime: EPOCH, mtime: EPOCH, ctime: EPOCH,
    };
  }
}
