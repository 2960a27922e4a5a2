/**
 * What a socket description is as a file, whatever its family: an inode
 * of sockfs (S_IFSOCK, mode 0777, on the sandbox's socket device, owned
 * by its creator), named socket:[ino], without offsets (ESPIPE), and
 * O_NONBLOCK from SOCK_NONBLOCK or fcntl.
 */
import { O, S_IFSOCK } from '../../abi/linux/fs';
import { StreamFileBase, type Stat, type Timespec } from '../../vfs/file';
import { nowTimespec } from '../../vfs/inode';
import type { SockIds } from './inet';

export abstract class SocketFile extends StreamFileBase {
  private readonly ctime: Timespec = nowTimespec();

  constructor(
    protected readonly ids: SockIds,
    nonblock: boolean,
  ) {
    super(`socket:[${ids.ino}]`, O.RDWR | (nonblock ? O.NONBLOCK : 0));
  }

  get nonblocking(): boolean {
    return (this.flags & O.NONBLOCK) !== 0;
  }


  stat(): Stat {
    const { dev, ino, uid, gid } = this.ids;
    const t = this.ctime;
    return { dev, ino, mode: S_IFSOCK | 0o777, nlink: 1, uid, gid, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: t, mtime: t, ctime: t };
  }
}
