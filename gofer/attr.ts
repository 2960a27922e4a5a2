/** Conversions from host stat results to 9P qids and Rgetattr. */
import type { BigIntStats } from 'node:fs';
import { DT } from '../sentry/abi/linux/fs';
import { MessageOf } from './p9/schema';
import { GETATTR_BASIC, MsgType, QT, Qid } from './p9/types';

const NS = 1_000_000_000n;

export function qidOf(st: BigIntStats): Qid {
  const type = st.isDirectory() ? QT.DIR : st.isSymbolicLink() ? QT.SYMLINK : QT.FILE;
  return { type, version: 0, path: st.ino };
}

/** DT_* value (include/linux/fs_types.h) to qid type. */
export function qidTypeOfDirent(dtype: number): number {
  return dtype === DT.DIR ? QT.DIR : dtype === DT.LNK ? QT.SYMLINK : QT.FILE;
}

export function rgetattr(st: BigIntStats): MessageOf<MsgType.Rgetattr> {
  return {
    type: MsgType.Rgetattr,
    valid: GETATTR_BASIC,
    qid: qidOf(st),
    mode: Number(st.mode),
    uid: Number(st.uid),
    gid: Number(st.gid),
    nlink: st.nlink,
    rdev: st.rdev,
    size: st.size,
    blksize: st.blksize,
    blocks: st.blocks,
    atimeSec: st.atimeNs / NS,
    atimeNsec: st.atimeNs % NS,
    mtimeSec: st.mtimeNs / NS,
    mtimeNsec: st.mtimeNs % NS,
    ctimeSec: st.ctimeNs / NS,
    ctimeNsec: st.ctimeNs % NS,
    btimeSec: 0n,
    btimeNsec: 0n,
    gen: 0n,
    dataVersion: 0n,
  };
}
