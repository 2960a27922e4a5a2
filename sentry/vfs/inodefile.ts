import { DT, FIONREAD, O, SEEK } from '../abi/linux/fs';
import type { MemoryIO } from '../platform/platform';
import { F_SEAL } from '../abi/linux/memfd';
import { fail } from '../errors/linuxerr';
import { FileDescriptionBase, Stat } from './file';
import { DirEntry, Inode, isDir, isRegular } from './inode';
import { cachedInode } from '../mm/filecache';

/**
 * The open file description of an Inode: the shared offset, the access
 * mode checks, and directory iteration for getdents.
 */
export class InodeFile extends FileDescriptionBase {
  private pos = 0;
  /** Directory listing snapshot, taken at the first getdents after open or rewind. */
  private listing: DirEntry[] | undefined;

  constructor(
    readonly inode: Inode,
    flags: number,
    path: string,
  ) {
    super(path, flags);
  }

  private get isPath(): boolean {
    return (this.flags & O.PATH) !== 0;
  }

  private checkReadable(): void {
    if (this.isPath || (this.flags & O.ACCMODE) === O.WRONLY) fail('EBADF', 'not open for reading');
    if (isDir(this.inode.mode)) fail('EISDIR');
  }

  private checkWritable(): void {
    if (this.isPath || (this.flags & O.ACCMODE) === O.RDONLY) fail('EBADF', 'not open for writing');
  }

  /** Contents at `offset`: from the file's shared mapping copy while it has one (mm/filecache.ts). */
  private readAt(dst: Buffer, offset: number): number {
    return cachedInode(this.inode)?.read(dst, offset) ?? this.inode.read(dst, offset);
  }

  /** Writes reach the file, and its shared mapping copy if it has one; a sealed file (memfd) refuses them with EPERM. */
  private writeAt(src: Buffer, offset: number): number {
    const seals = this.inode.seals ?? 0;
    if (seals & (F_SEAL.WRITE | F_SEAL.FUTURE_WRITE)) fail('EPERM', 'write-sealed');
    if (seals & F_SEAL.GROW && offset + src.length > this.inode.stat().size) fail('EPERM', 'sealed against growth');
    const n = this.inode.write(src, offset);
    cachedInode(this.inode)?.update(src.subarray(0, n), offset);
    return n;
  }

  read(dst: Buffer): number {
    this.checkReadable();
    const n = this.readAt(dst, this.pos);
    if (this.inode.seekable) this.pos += n;
    return n;
  }

  pread(dst: Buffer, offset: number): number {
    this.checkReadable();
    if (!this.inode.seekable) fail('ESPIPE');
    if (offset < 0) fail('EINVAL', 'negative offset');
    return this.readAt(dst, offset);
  }

  write(src: Buffer): number {
    this.checkWritable();
    if (this.flags & O.APPEND) this.pos = this.inode.stat().size;
    const n = this.writeAt(src, this.pos);
    if (this.inode.seekable) this.pos += n;
    return n;
  }

  /** Like Linux, pwrite on an O_APPEND file appends (pwrite(2) BUGS). */
  pwrite(src: Buffer, offset: number): number {
    this.checkWritable();
    if (!this.inode.seekable) fail('ESPIPE');
    if (offset < 0) fail('EINVAL', 'negative offset');
    return this.writeAt(src, this.flags & O.APPEND ? this.inode.stat().size : offset);
  }

  seek(offset: number, whence: number): number {
    if (this.isPath) fail('EBADF', 'O_PATH');
    if (!this.inode.seekable) fail('ESPIPE');
    // A directory's position is a place in its listing (Linux's dcache_dir_lseek): no end, data or holes.
    if (isDir(this.inode.mode) && whence !== SEEK.SET && whence !== SEEK.CUR) fail('EINVAL', `whence ${whence} on a directory`);
    const size = this.inode.stat().size;
    let next: number;
    switch (whence) {
      case SEEK.SET:
        next = offset;
        break;
      case SEEK.CUR:
        next = this.pos + offset;
        break;
      case SEEK.END:
        next = size + offset;
        break;
      case SEEK.DATA:
        if (offset < 0 || offset >= size) fail('ENXIO');
        next = offset;
        break;
      case SEEK.HOLE:
        if (offset < 0 || offset >= size) fail('ENXIO');
        next = size;
        break;
      default:
        return fail('EINVAL', `whence ${whence}`);
    }
    if (next < 0) fail('EINVAL', 'negative position');
    if (isDir(this.inode.mode) && next === 0) this.listing = undefined;
    this.pos = next;
    return next;
  }

  stat(): Stat {
    return this.inode.stat();
  }

  /**
   * Directory entries (with "." and "..") from the current position; the
   * caller consumes some and calls advanceDir. d_off of entry i is i + 1.
   */
  dirEntries(): { entries: DirEntry[]; start: number } {
    if (this.isPath) fail('EBADF', 'O_PATH');
    if (!isDir(this.inode.mode)) fail('ENOTDIR');
    if (!this.listing) {
      const ino = this.inode.stat().ino;
      this.listing = [{ name: '.', ino, type: DT.DIR }, { name: '..', ino, type: DT.DIR }, ...this.inode.readdir()];
    }
    return { entries: this.listing, start: this.pos };
  }

  advanceDir(count: number): void {
    this.pos += count;
  }

  /** FIONREAD on a regular file: bytes between the position and the end; ENOTTY otherwise. */
  ioctl(mem: MemoryIO, cmd: number, arg: number): number {
    if (cmd !== FIONREAD || !isRegular(this.inode.mode)) return fail('ENOTTY', `ioctl ${cmd.toString(16)}`);
    const b = Buffer.alloc(4);
    b.writeInt32LE(Math.max(0, Math.min(0x7fffffff, this.inode.stat().size - this.pos)));
    mem.write(arg, b);
    return 0;
  }
}
