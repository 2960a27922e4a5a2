/**
 * Byte encodings of the stat-family structs and linux_dirent64, using the
 * layouts in abi/linux/fs.ts.
 */
import {
  DIRENT64_HEADER, major, minor, STAT_OFF, STAT_SIZE, STATFS_OFF, STATFS_SIZE, STATX_BASIC_STATS, STATX_OFF, STATX_SIZE,
} from '../abi/linux/fs';
import type { Stat, Timespec } from './file';
import type { StatFs } from './inode';

function putTime(b: Buffer, off: number, t: Timespec): void {
  b.writeBigInt64LE(BigInt(t.sec), off);
  b.writeBigInt64LE(BigInt(t.nsec), off + 8);
}

export function encodeStat(st: Stat): Buffer {
  const b = Buffer.alloc(STAT_SIZE);
  b.writeBigUInt64LE(BigInt(st.dev), STAT_OFF.dev);
  b.writeBigUInt64LE(BigInt(st.ino), STAT_OFF.ino);
  b.writeBigUInt64LE(BigInt(st.nlink), STAT_OFF.nlink);
  b.writeUInt32LE(st.mode >>> 0, STAT_OFF.mode);
  b.writeUInt32LE(st.uid >>> 0, STAT_OFF.uid);
  b.writeUInt32LE(st.gid >>> 0, STAT_OFF.gid);
  b.writeBigUInt64LE(BigInt(st.rdev), STAT_OFF.rdev);
  b.writeBigInt64LE(BigInt(st.size), STAT_OFF.size);
  b.writeBigInt64LE(BigInt(st.blksize), STAT_OFF.blksize);
  b.writeBigInt64LE(BigInt(st.blocks), STAT_OFF.blocks);
  putTime(b, STAT_OFF.atime, st.atime);
  putTime(b, STAT_OFF.mtime, st.mtime);
  putTime(b, STAT_OFF.ctime, st.ctime);
  return b;
}

function getTime(b: Buffer, off: number): Timespec {
  return { sec: Number(b.readBigInt64LE(off)), nsec: Number(b.readBigInt64LE(off + 8)) };
}

export function decodeStat(b: Buffer): Stat {
  return {
    dev: Number(b.readBigUInt64LE(STAT_OFF.dev)),
    ino: Number(b.readBigUInt64LE(STAT_OFF.ino)),
    nlink: Number(b.readBigUInt64LE(STAT_OFF.nlink)),
    mode: b.readUInt32LE(STAT_OFF.mode),
    uid: b.readUInt32LE(STAT_OFF.uid),
    gid: b.readUInt32LE(STAT_OFF.gid),
    rdev: Number(b.readBigUInt64LE(STAT_OFF.rdev)),
    size: Number(b.readBigInt64LE(STAT_OFF.size)),
    blksize: Number(b.readBigInt64LE(STAT_OFF.blksize)),
    blocks: Number(b.readBigInt64LE(STAT_OFF.blocks)),
    atime: getTime(b, STAT_OFF.atime),
    mtime: getTime(b, STAT_OFF.mtime),
    ctime: getTime(b, STAT_OFF.ctime),
  };
}

function putStatxTime(b: Buffer, off: number, t: Timespec): void {
  b.writeBigInt64LE(BigInt(t.sec), off);
  b.writeUInt32LE(t.nsec, off + 8);
}

/** struct statx with the basic stats (no btime); `mask` reports what was filled. */
export function encodeStatx(st: Stat): Buffer {
  const b = Buffer.alloc(STATX_SIZE);
  b.writeUInt32LE(STATX_BASIC_STATS, STATX_OFF.mask);
  b.writeUInt32LE(st.blksize, STATX_OFF.blksize);
  b.writeUInt32LE(st.nlink, STATX_OFF.nlink);
  b.writeUInt32LE(st.uid >>> 0, STATX_OFF.uid);
  b.writeUInt32LE(st.gid >>> 0, STATX_OFF.gid);
  b.writeUInt16LE(st.mode & 0xffff, STATX_OFF.mode);
  b.writeBigUInt64LE(BigInt(st.ino), STATX_OFF.ino);
  b.writeBigUInt64LE(BigInt(st.size), STATX_OFF.size);
  b.writeBigUInt64LE(BigInt(st.blocks), STATX_OFF.blocks);
  putStatxTime(b, STATX_OFF.atime, st.atime);
  putStatxTime(b, STATX_OFF.ctime, st.ctime);
  putStatxTime(b, STATX_OFF.mtime, st.mtime);
  b.writeUInt32LE(major(st.rdev), STATX_OFF.rdevMajor);
  b.writeUInt32LE(minor(st.rdev), STATX_OFF.rdevMinor);
  b.writeUInt32LE(major(st.dev), STATX_OFF.devMajor);
  b.writeUInt32LE(minor(st.dev), STATX_OFF.devMinor);
  return b;
}

export function encodeStatfs(s: StatFs, dev: number, flags: number): Buffer {
  const b = Buffer.alloc(STATFS_SIZE);
  b.writeBigInt64LE(BigInt(s.type), STATFS_OFF.type);
  b.writeBigInt64LE(BigInt(s.bsize), STATFS_OFF.bsize);
  b.writeBigUInt64LE(BigInt(s.blocks), STATFS_OFF.blocks);
  b.writeBigUInt64LE(BigInt(s.bfree), STATFS_OFF.bfree);
  b.writeBigUInt64LE(BigInt(s.bavail), STATFS_OFF.bavail);
  b.writeBigUInt64LE(BigInt(s.files), STATFS_OFF.files);
  b.writeBigUInt64LE(BigInt(s.ffree), STATFS_OFF.ffree);
  b.writeUInt32LE(dev >>> 0, STATFS_OFF.fsid);
  b.writeBigInt64LE(BigInt(s.namelen), STATFS_OFF.namelen);
  b.writeBigInt64LE(BigInt(s.bsize), STATFS_OFF.frsize);
  b.writeBigInt64LE(BigInt(flags), STATFS_OFF.flags);
  return b;
}

/** One linux_dirent64 record (8-byte aligned, NUL-terminated name). */
export function encodeDirent64(ino: number, off: number, type: number, name: string): Buffer {
  const nameBytes = Buffer.from(name);
  const reclen = (DIRENT64_HEADER + nameBytes.length + 1 + 7) & ~7;
  const b = Buffer.alloc(reclen);
  b.writeBigUInt64LE(BigInt(ino), 0);
  b.writeBigInt64LE(BigInt(off), 8);
  b.writeUInt16LE(reclen, 16);
  b.writeUInt8(type, 18);
  nameBytes.copy(b, DIRENT64_HEADER);
  return b;
}
