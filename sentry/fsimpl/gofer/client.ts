/**
 * The Sentry's synchronous 9P2000.L client. Each call writes one T-message
 * with blocking write(2) and reads its reply with blocking reads: the
 * kernel loop is synchronous, so exactly one request is ever in flight and
 * a fixed tag suffices. A reply's first bytes are read with recvmsg(2)
 * because Rgetfd carries a descriptor (SCM_RIGHTS), which read(2) would
 * silently drop; descriptors arriving with any other reply are closed.
 */
import { Errno } from '../../abi/linux/errno';
import { LinuxError } from '../../errors/linuxerr';
import { closeFd, FdReceiver, readFull, writeAll } from '../../platform/host/fdio';
import { decode, encode } from '../../../gofer/p9/codec';
import { decodeDirents } from '../../../gofer/p9/dirent';
import { Message, MessageOf } from '../../../gofer/p9/schema';
import {
  DEFAULT_MSIZE,
  GETATTR_BASIC,
  HEADER_SIZE,
  MAXWELEM,
  MsgType,
  NOFID,
  NOTAG,
  QT,
  SETATTR,
  VERSION_9P2000L,
} from '../../../gofer/p9/types';
import { GoferClient, P9Attr, P9Dirent, P9SetAttr, P9StatFs, Qid } from './api';

const TAG = 1;
/** Non-data bytes of an Rread/Rreaddir (size type tag count) and a Twrite (… fid offset count). */
const RREAD_HDR = 11;
const TWRITE_HDR = 23;

export class P9Client implements GoferClient {
  private fd: number;
  private nextFid = 0;
  private readonly freeFids: number[] = [];
  private readonly header = Buffer.alloc(4);
  private readonly receiver = new FdReceiver();

  private constructor(
    fd: number,
    /** Negotiated maximum frame size. */
    public msize: number,
  ) {
    this.fd = fd;
  }

  /** Negotiates 9P2000.L on a connected socket (the client owns `fd` from now on). */
  static connect(fd: number, msize = DEFAULT_MSIZE): P9Client {
    const c = new P9Client(fd, msize);
    const r = c.rpc({ type: MsgType.Tversion, msize, version: VERSION_9P2000L }, MsgType.Rversion, NOTAG);
    if (r.version !== VERSION_9P2000L) throw new LinuxError(Errno.EPROTONOSUPPORT, `gofer speaks ${r.version}`);
    if (r.msize < 4096 || r.msize > msize) throw new LinuxError(Errno.EPROTO, `bad msize ${r.msize}`);
    c.msize = r.msize;
    return c;
  }

  /** Attaches as uid 0: the Gofer gives new nodes uid 0 and the gid passed with each create. */
  attach(aname: string): number {
    const fid = this.allocFid();
    try {
      this.rpc({ type: MsgType.Tattach, fid, afid: NOFID, uname: 'root', aname, nUname: 0 }, MsgType.Rattach);
      return fid;
    } catch (e) {
      this.freeFids.push(fid);
      throw e;
    }
  }

  /**
   * Walks up to MAXWELEM names per message. A partial walk (some names
   * walked, then a failure) reports ENOTDIR when the last name reached is
   * not a directory, else ENOENT.
   */
  walk(fid: number, names: string[]): { fid: number; qids: Qid[] } {
    const newfid = this.allocFid();
    const qids: Qid[] = [];
    // newfid exists on the Gofer once the first Twalk has fully succeeded.
    let created = false;
    try {
      do {
        const chunk = names.slice(qids.length, qids.length + MAXWELEM);
        const r = this.rpc({ type: MsgType.Twalk, fid: created ? newfid : fid, newfid, names: chunk }, MsgType.Rwalk);
        qids.push(...r.qids);
        if (r.qids.length < chunk.length) {
          const last = qids[qids.length - 1];
          throw new LinuxError(last.type === QT.DIR ? Errno.ENOENT : Errno.ENOTDIR);
        }
        created = true;
      } while (qids.length < names.length);
      return { fid: newfid, qids };
    } catch (e) {
      if (created) this.clunk(newfid);
      else this.freeFids.push(newfid);
      throw e;
    }
  }

  /** Twalkgetattr (tsvisor extension): walks to `name` and returns the new fid with its attributes, in one round trip. */
  walkGetattr(fid: number, name: string): { fid: number; attr: P9Attr } {
    const newfid = this.allocFid();
    try {
      return { fid: newfid, attr: toAttr(this.rpc({ type: MsgType.Twalkgetattr, fid, newfid, names: [name] }, MsgType.Rwalkgetattr)) };
    } catch (e) {
      // The Gofer creates newfid only when the walk and the getattr both succeed.
      this.freeFids.push(newfid);
      throw e;
    }
  }

  getattr(fid: number): P9Attr {
    return toAttr(this.rpc({ type: MsgType.Tgetattr, fid, requestMask: GETATTR_BASIC }, MsgType.Rgetattr));
  }

  setattr(fid: number, attr: P9SetAttr): void {
    let valid = 0;
    const bit = (present: boolean, b: number): void => {
      if (present) valid |= b;
    };
    bit(attr.mode !== undefined, SETATTR.MODE);
    bit(attr.uid !== undefined, SETATTR.UID);
    bit(attr.gid !== undefined, SETATTR.GID);
    bit(attr.size !== undefined, SETATTR.SIZE);
    bit(attr.atime !== undefined, SETATTR.ATIME);
    bit(attr.mtime !== undefined, SETATTR.MTIME);
    bit(typeof attr.atime === 'object', SETATTR.ATIME_SET);
    bit(typeof attr.mtime === 'object', SETATTR.MTIME_SET);
    const at = typeof attr.atime === 'object' ? attr.atime : { sec: 0, nsec: 0 };
    const mt = typeof attr.mtime === 'object' ? attr.mtime : { sec: 0, nsec: 0 };
    this.rpc(
      {
        type: MsgType.Tsetattr,
        fid,
        valid,
        mode: attr.mode ?? 0,
        uid: attr.uid ?? 0,
        gid: attr.gid ?? 0,
        size: BigInt(attr.size ?? 0),
        atimeSec: BigInt(at.sec),
        atimeNsec: BigInt(at.nsec),
        mtimeSec: BigInt(mt.sec),
        mtimeNsec: BigInt(mt.nsec),
      },
      MsgType.Rsetattr,
    );
  }

  lopen(fid: number, flags: number): { qid: Qid; iounit: number } {
    const r = this.rpc({ type: MsgType.Tlopen, fid, flags }, MsgType.Rlopen);
    return { qid: r.qid, iounit: r.iounit };
  }

  lcreate(fid: number, name: string, flags: number, mode: number, gid: number): { qid: Qid; iounit: number } {
    const r = this.rpc({ type: MsgType.Tlcreate, fid, name, flags, mode, gid }, MsgType.Rlcreate);
    return { qid: r.qid, iounit: r.iounit };
  }

  /** Reads up to `count` bytes at `offset`, in msize-sized pieces; short only at end of file. */
  read(fid: number, offset: number, count: number): Buffer {
    const max = this.msize - RREAD_HDR;
    const parts: Buffer[] = [];
    let got = 0;
    while (got < count) {
      const want = Math.min(count - got, max);
      const { data } = this.rpc({ type: MsgType.Tread, fid, offset: BigInt(offset + got), count: want }, MsgType.Rread);
      parts.push(data);
      got += data.length;
      if (data.length < want) break;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, got);
  }

  /** Writes all of `data` in msize-sized pieces; returns the bytes written (short on a short write). */
  write(fid: number, offset: number, data: Buffer): number {
    const max = this.msize - TWRITE_HDR;
    let done = 0;
    do {
      const piece = data.subarray(done, done + max);
      const r = this.rpc({ type: MsgType.Twrite, fid, offset: BigInt(offset + done), data: piece }, MsgType.Rwrite);
      done += r.count;
      if (r.count < piece.length) break;
    } while (done < data.length);
    return done;
  }

  /** Entries after cookie `offset` (0 = start), excluding '.' and '..'; empty at the end. */
  readdir(fid: number, offset: bigint, count: number): P9Dirent[] {
    const n = Math.min(count, this.msize - RREAD_HDR);
    return decodeDirents(this.rpc({ type: MsgType.Treaddir, fid, offset, count: n }, MsgType.Rreaddir).data);
  }

  /** Treaddirall (tsvisor extension): every entry of directory `fid` (walked, not opened) in one round trip; E2BIG when more than a reply can carry. */
  readdirAll(fid: number): P9Dirent[] {
    return decodeDirents(this.rpc({ type: MsgType.Treaddirall, fid, count: this.msize - RREAD_HDR }, MsgType.Rreaddirall).data);
  }

  readlink(fid: number): string {
    return this.rpc({ type: MsgType.Treadlink, fid }, MsgType.Rreadlink).target;
  }

  mkdir(dfid: number, name: string, mode: number, gid: number): Qid {
    return this.rpc({ type: MsgType.Tmkdir, dfid, name, mode, gid }, MsgType.Rmkdir).qid;
  }

  symlink(dfid: number, name: string, target: string, gid: number): Qid {
    return this.rpc({ type: MsgType.Tsymlink, fid: dfid, name, target, gid }, MsgType.Rsymlink).qid;
  }

  link(dfid: number, fid: number, name: string): void {
    this.rpc({ type: MsgType.Tlink, dfid, fid, name }, MsgType.Rlink);
  }

  mknod(dfid: number, name: string, mode: number, major: number, minor: number, gid: number): Qid {
    return this.rpc({ type: MsgType.Tmknod, dfid, name, mode, major, minor, gid }, MsgType.Rmknod).qid;
  }

  unlinkat(dfid: number, name: string, flags: number): void {
    this.rpc({ type: MsgType.Tunlinkat, dirFid: dfid, name, flags }, MsgType.Runlinkat);
  }

  renameat(oldDfid: number, oldName: string, newDfid: number, newName: string): void {
    this.rpc({ type: MsgType.Trenameat, oldDirFid: oldDfid, oldName, newDirFid: newDfid, newName }, MsgType.Rrenameat);
  }

  fsync(fid: number): void {
    this.rpc({ type: MsgType.Tfsync, fid, datasync: 0 }, MsgType.Rfsync);
  }

  statfs(fid: number): P9StatFs {
    const r = this.rpc({ type: MsgType.Tstatfs, fid }, MsgType.Rstatfs);
    return {
      type: r.fsType,
      bsize: r.bsize,
      blocks: Number(r.blocks),
      bfree: Number(r.bfree),
      bavail: Number(r.bavail),
      files: Number(r.files),
      ffree: Number(r.ffree),
      namelen: r.namelen,
    };
  }

  /** Tgetfd (tsvisor extension): a host descriptor of the Gofer's read-only open file behind `fid`, now owned by the caller. */
  getfd(fid: number): number {
    const fds: number[] = [];
    this.rpc({ type: MsgType.Tgetfd, fid }, MsgType.Rgetfd, TAG, fds);
    const [fd, ...extra] = fds;
    closeAll(extra);
    if (fd === undefined) throw new LinuxError(Errno.EIO, 'Rgetfd carried no descriptor');
    return fd;
  }

  /**
   * Tlopenfd (tsvisor extension): a new fid cloned from `fid` and opened
   * with `flags`, and the host descriptor Tgetfd would give for it (now the
   * caller's) when the Gofer gives one, in one round trip.
   */
  lopenfd(fid: number, flags: number): { fid: number; fd?: number } {
    const newfid = this.allocFid();
    const fds: number[] = [];
    try {
      this.rpc({ type: MsgType.Tlopenfd, fid, newfid, flags }, MsgType.Rlopenfd, TAG, fds);
    } catch (e) {
      // The open may have succeeded with only the descriptor undeliverable: newfid goes either way.
      try {
        this.clunk(newfid);
      } catch {
        // it did not exist
      }
      throw e;
    }
    const [fd, ...extra] = fds;
    closeAll(extra);
    return { fid: newfid, fd };
  }

  /** Releases `fid`; it is free for reuse even if the Gofer reports an error (9P clunk semantics). */
  clunk(fid: number): void {
    try {
      this.rpc({ type: MsgType.Tclunk, fid }, MsgType.Rclunk);
    } finally {
      this.freeFids.push(fid);
    }
  }

  close(): void {
    if (this.fd < 0) return;
    closeFd(this.fd);
    this.fd = -1;
  }

  private allocFid(): number {
    return this.freeFids.pop() ?? this.nextFid++;
  }

  /**
   * One round trip. Rlerror becomes LinuxError(ecode); a broken connection
   * or an unexpected reply becomes EIO and closes it (lostStep). Descriptors
   * that came with a successful reply move to `keep` when given; all others
   * are closed.
   */
  private rpc<R extends MsgType>(msg: Message, reply: R, tag = TAG, keep?: number[]): MessageOf<R> {
    if (this.fd < 0) throw new LinuxError(Errno.EIO, 'gofer connection closed');
    const fds: number[] = [];
    try {
      const r = this.roundTrip(encode(tag, msg), tag, fds);
      if (r.type === MsgType.Rlerror) throw new LinuxError(r.ecode);
      if (r.type !== reply) this.lostStep(`gofer answered type ${r.type} to ${msg.type}`);
      if (keep) keep.push(...fds.splice(0));
      return r as MessageOf<R>;
    } finally {
      closeAll(fds);
    }
  }

  private roundTrip(request: Buffer, tag: number, fds: number[]): Message {
    try {
      writeAll(this.fd, request);
      // A passed descriptor rides on the reply's first byte: only the header needs recvmsg.
      if (this.receiver.readFull(this.fd, this.header, fds) < 4) throw new LinuxError(Errno.EIO, 'gofer closed the connection');
      const size = this.header.readUInt32LE(0);
      if (size < HEADER_SIZE || size > this.msize) throw new LinuxError(Errno.EIO, `bad reply size ${size}`);
      const frame = Buffer.allocUnsafe(size);
      this.header.copy(frame);
      if (readFull(this.fd, frame.subarray(4)) < size - 4) throw new LinuxError(Errno.EIO, 'gofer closed the connection');
      if (frame.readUInt16LE(5) !== tag) throw new LinuxError(Errno.EIO, 'gofer reply has the wrong tag');
      // The reply's byte fields are views into `frame`, which is never reused: no copy.
      return decode({ type: frame[4], tag, body: frame.subarray(HEADER_SIZE) });
    } catch (e) {
      return this.lostStep(e instanceof LinuxError ? (e.detail ?? e.message) : `gofer connection: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * The stream no longer pairs requests with replies (a broken or short
   * frame, a wrong tag or type): closes it, so every later call fails with
   * EIO instead of taking some other request's reply.
   */
  private lostStep(why: string): never {
    this.close();
    throw new LinuxError(Errno.EIO, why);
  }
}

function closeAll(fds: number[]): void {
  for (const fd of fds) closeFd(fd);
}

/** The attributes of an Rgetattr or Rwalkgetattr. */
function toAttr(r: MessageOf<MsgType.Rgetattr> | MessageOf<MsgType.Rwalkgetattr>): P9Attr {
  return {
    qid: r.qid,
    mode: r.mode,
    uid: r.uid,
    gid: r.gid,
    nlink: Number(r.nlink),
    rdev: Number(r.rdev),
    size: Number(r.size),
    blksize: Number(r.blksize),
    blocks: Number(r.blocks),
    atimeSec: Number(r.atimeSec),
    atimeNsec: Number(r.atimeNsec),
    mtimeSec: Number(r.mtimeSec),
    mtimeNsec: Number(r.mtimeNsec),
    ctimeSec: Number(r.ctimeSec),
    ctimeNsec: Number(r.ctimeNsec),
  };
}
