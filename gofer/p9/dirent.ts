/**
 * Rreaddir payload: a packed run of qid[13] offset[8] type[1] name[s]
 * entries. `offset` is the cookie to pass to the next Treaddir.
 */
import type { P9Dirent } from '../../sentry/fsimpl/gofer/api';
import { Reader, Writer } from './codec';

export function direntSize(name: string): number {
  return 13 + 8 + 1 + 2 + Buffer.byteLength(name, 'utf8');
}

/** Packs as many entries as fit in `budget` bytes, in order. */
export function encodeDirents(entries: Iterable<P9Dirent>, budget: number): Buffer {
  const fitting: P9Dirent[] = [];
  let size = 0;
  for (const d of entries) {
    const n = direntSize(d.name);
    if (size + n > budget) break;
    fitting.push(d);
    size += n;
  }
  const w = new Writer(Buffer.allocUnsafe(size));
  for (const d of fitting) {
    w.qid(d.qid);
    w.u64(d.offset);
    w.u8(d.type);
    w.str(d.name);
  }
  return w.buf;
}

export function decodeDirents(data: Buffer): P9Dirent[] {
  const r = new Reader(data);
  const out: P9Dirent[] = [];
  while (r.remaining > 0) out.push({ qid: r.qid(), offset: r.u64(), type: r.u8(), name: r.str() });
  return out;
}
