/**
 * The Gofer's 9P2000.L request handler: a fid table over the served tree
 * and one synchronous handler per message. It is transport-free (frames in,
 * frames out) so it can be tested without a socket; serve.ts wires it to
 * the connection.
 *
 * Walks go one component at a time with lstat and never follow symlinks
 * (the Sentry resolves them with readlink). Files are opened with
 * O_NOFOLLOW. Host errors become Rlerror with the host errno.
 *
 * Tgetfd (our extension, see MsgType.Tgetfd) hands the client the host
 * descriptor of a file opened read-only, so it can pread it instead of
 * sending every byte through this process; the Gofer stays the only
 * component that opens files.
 */
import fs from 'node:fs';
import { Errno } from '../sentry/abi/linux/errno';
import { AT, O, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, UTIME_NOW, UTIME_OMIT } from '../sentry/abi/linux/fs';
import { fail } from '../sentry/errors/linuxerr';
import { qidOf, qidTypeOfDirent, rgetattr } from './attr';
import { errnoOf } from './errno';
import { getdents, HostDirent, lutimens, mknod, statfs, TimeSpec } from './host/libc';
import { decode, encode, P9FormatError, RawFrame } from './p9/codec';
import { direntSize, encodeDirents } from './p9/dirent';
import { Message, MessageOf } from './p9/schema';
import type { P9Dirent } from '../sentry/fsimpl/gofer/api';
import { DEFAULT_MSIZE, IOHDRSZ, MAXWELEM, MsgType, NOFID, NONUNAME, Qid, QT, SETATTR, VERSION_9P2000L } from './p9/types';
import { checkName, child, hostPath, isWithin, parent } from './paths';
import { pageAlignedBuffer } from '../sentry/platform/host/aligned';

/** Open flags a client may ask for; everything else is decided here. */
const OPEN_ALLOWED = O.ACCMODE | O.TRUNC | O.DIRECTORY | O.DSYNC | O.SYNC;
/** Always added: never follow a final symlink, never block on a swapped-in FIFO. */
const OPEN_FORCED = O.NOFOLLOW | O.NONBLOCK | O.CLOEXEC;
/** Bytes of an Rread/Rreaddir frame before the data: size type tag count. */
const RDATA_HDR = 11;
/** getdents64 buffer for Treaddirall: the reply's size is bounded separately. */
const READDIR_CHUNK = 64 * 1024;

/** Requests that change the tree; refused with EROFS in read-only mode. */
const MUTATING = new Set<number>([
  MsgType.Tlcreate,
  MsgType.Tsymlink,
  MsgType.Tmknod,
  MsgType.Tsetattr,
  MsgType.Twrite,
  MsgType.Tlink,
  MsgType.Tmkdir,
  MsgType.Trenameat,
  MsgType.Tunlinkat,
]);

interface Fid {
  /** Root-relative path ('/', '/a/b'). */
  path: string;
  qid: Qid;
  /** Host fd once opened (Tlopen/Tlcreate). */
  fd?: number;
  /** The open flags fd was opened with. */
  flags?: number;
}

/** One answer: the frame, and for Rgetfd the descriptor to attach to it (still owned by the server). */
export interface Reply {
  frame: Buffer;
  fd?: number;
}

export interface ServerOptions {
  /** Host directory served as '/'; '/' once the Gofer has chrooted into it. */
  root: string;
  readOnly: boolean;
}

export class GoferServer {
  private readonly fids = new Map<number, Fid>();
  private uid = NONUNAME;
  /** Negotiated maximum frame size. */
  msize = DEFAULT_MSIZE;

  constructor(private readonly opts: ServerOptions) {}

  /** Answers one frame. Never throws: malformed bodies get Rlerror(EINVAL). */
  handle(frame: RawFrame): Reply {
    try {
      const m = decode(frame);
      // The only reply with a descriptor: the transport must send the two together.
      if (m.type === MsgType.Tgetfd) return { frame: encode(frame.tag, { type: MsgType.Rgetfd }), fd: this.donatable(m.fid) };
      if (m.type === MsgType.Tlopenfd) return this.lopenfd(frame.tag, m);
      return { frame: encode(frame.tag, this.dispatch(m)) };
    } catch (e) {
      return { frame: encode(frame.tag, { type: MsgType.Rlerror, ecode: this.errnoFor(e) }) };
    }
  }

  /** Closes every open host fd (connection gone). */
  reset(): void {
    for (const f of this.fids.values()) if (f.fd !== undefined) fs.closeSync(f.fd);
    this.fids.clear();
  }

  private errnoFor(e: unknown): number {
    if (e instanceof P9FormatError) return Errno.EINVAL;
    const errno = errnoOf(e);
    if (errno !== undefined) return errno;
    process.stderr.write(`gofer: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    return Errno.EIO;
  }

  private dispatch(m: Message): Message {
    if (this.opts.readOnly && (MUTATING.has(m.type) || (m.type === MsgType.Tlopen && writes(m.flags)))) {
      fail('EROFS');
    }
    switch (m.type) {
      case MsgType.Tversion:
        return this.version(m);
      case MsgType.Tattach:
        return this.attach(m);
      case MsgType.Tflush:
        // Requests are answered in order before the next is read: nothing is ever in flight.
        return { type: MsgType.Rflush };
      case MsgType.Twalk:
        return this.walk(m);
      case MsgType.Twalkgetattr:
        return this.walkGetattr(m);
      case MsgType.Tgetattr:
        return rgetattr(this.stat(this.fid(m.fid)));
      case MsgType.Tsetattr:
        this.setattr(m);
        return { type: MsgType.Rsetattr };
      case MsgType.Tlopen:
        return this.lopen(m);
      case MsgType.Tlcreate:
        return this.lcreate(m);
      case MsgType.Tread:
        return this.read(m);
      case MsgType.Twrite:
        return { type: MsgType.Rwrite, count: fs.writeSync(this.openFd(m.fid), m.data, 0, m.data.length, Number(m.offset)) };
      case MsgType.Treaddir:
        return this.readdir(m);
      case MsgType.Treaddirall:
        return this.readdirAll(m);
      case MsgType.Treadlink:
        return { type: MsgType.Rreadlink, target: fs.readlinkSync(this.host(this.fid(m.fid).path)) };
      case MsgType.Tmkdir:
        return { type: MsgType.Rmkdir, qid: this.create(m.dfid, m.name, m.gid, (p) => fs.mkdirSync(p, m.mode & 0o7777)) };
      case MsgType.Tsymlink:
        return { type: MsgType.Rsymlink, qid: this.create(m.fid, m.name, m.gid, (p) => fs.symlinkSync(m.target, p)) };
      case MsgType.Tmknod:
        return this.mknod(m);
      case MsgType.Tlink:
        this.link(m);
        return { type: MsgType.Rlink };
      case MsgType.Tunlinkat:
        this.unlinkat(m);
        return { type: MsgType.Runlinkat };
      case MsgType.Trenameat:
        this.renameat(m);
        return { type: MsgType.Rrenameat };
      case MsgType.Tfsync:
        (m.datasync ? fs.fdatasyncSync : fs.fsyncSync)(this.openFd(m.fid));
        return { type: MsgType.Rfsync };
      case MsgType.Tstatfs:
        return this.statfs(m);
      case MsgType.Tclunk:
        this.clunk(m.fid);
        return { type: MsgType.Rclunk };
      default:
        // R-messages, and Tgetfd, which handle() answers.
        return fail('EINVAL', `unexpected message type ${m.type}`);
    }
  }

  private fid(n: number): Fid {
    return this.fids.get(n) ?? fail('EBADF', `unknown fid ${n}`);
  }

  private freeFid(n: number): void {
    if (this.fids.has(n)) fail('EBADF', `fid ${n} in use`);
  }

  private host(path: string): string {
    return hostPath(this.opts.root, path);
  }

  private stat(f: Fid): fs.BigIntStats {
    return f.fd !== undefined ? fs.fstatSync(f.fd, { bigint: true }) : fs.lstatSync(this.host(f.path), { bigint: true });
  }

  private openFd(n: number): number {
    return this.fid(n).fd ?? fail('EBADF', `fid ${n} is not open`);
  }

  /** A fid that names a directory and has not been opened (the target of *at requests). */
  private dir(n: number): Fid {
    const f = this.fid(n);
    if (f.qid.type !== QT.DIR) fail('ENOTDIR');
    return f;
  }

  private version(m: MessageOf<MsgType.Tversion>): Message {
    this.reset();
    this.msize = Math.min(m.msize, DEFAULT_MSIZE);
    const version = m.version.startsWith(VERSION_9P2000L) ? VERSION_9P2000L : 'unknown';
    return { type: MsgType.Rversion, msize: this.msize, version };
  }

  private attach(m: MessageOf<MsgType.Tattach>): Message {
    if (m.afid !== NOFID) fail('EINVAL', 'authentication is not supported');
    this.freeFid(m.fid);
    const names = m.aname.split('/').filter((n) => n !== '');
    const root: Fid = { path: '/', qid: qidOf(fs.lstatSync(this.host('/'), { bigint: true })) };
    const { qids, path } = this.walkFrom(root, names);
    if (qids.length < names.length) fail('ENOENT');
    const qid = qids.at(-1) ?? root.qid;
    if (qid.type !== QT.DIR) fail('ENOTDIR');
    this.uid = m.nUname;
    this.fids.set(m.fid, { path, qid });
    return { type: MsgType.Rattach, qid };
  }

  /**
   * Walks names one at a time with lstat. Stops at the first failure: if it
   * is the first name the error propagates, otherwise the partial qid list
   * is returned (9P semantics; the new fid is then not created).
   */
  /** Walks `names` from `start`: the qids reached, the path, and the last name's attributes (undefined for no names). */
  private walkFrom(start: Fid, names: string[]): { qids: Qid[]; path: string; last?: fs.BigIntStats } {
    const qids: Qid[] = [];
    let { path, qid } = start;
    let last: fs.BigIntStats | undefined;
    for (const name of names) {
      try {
        if (qid.type !== QT.DIR) fail('ENOTDIR');
        if (name === '..' || name === '.') {
          path = name === '..' ? parent(path) : path;
        } else {
          checkName(name);
          path = child(path, name);
        }
        last = fs.lstatSync(this.host(path), { bigint: true });
        qid = qidOf(last);
      } catch (e) {
        if (qids.length === 0) throw e;
        break;
      }
      qids.push(qid);
    }
    return { qids, path, last };
  }

  private walk(m: MessageOf<MsgType.Twalk>): Message {
    return { type: MsgType.Rwalk, qids: this.walkInto(m).qids };
  }

  /** Twalk's work: newfid is registered only when every name was reached. */
  private walkInto(m: { fid: number; newfid: number; names: string[] }): { qids: Qid[]; last?: fs.BigIntStats } {
    const from = this.fid(m.fid);
    if (m.newfid !== m.fid) this.freeFid(m.newfid);
    if (m.names.length > MAXWELEM) fail('EINVAL', 'too many walk names');
    const { qids, path, last } = this.walkFrom(from, m.names);
    if (qids.length === m.names.length) {
      const qid = qids.at(-1) ?? from.qid;
      if (m.newfid === m.fid) {
        if (from.fd !== undefined) fail('EBADF', 'cannot walk an open fid in place');
        from.path = path;
        from.qid = qid;
      } else {
        this.fids.set(m.newfid, { path, qid });
      }
    }
    return { qids, last };
  }

  /** Tlopenfd (our extension): clone, open, and the descriptor Tgetfd would give, if any. */
  private lopenfd(tag: number, m: MessageOf<MsgType.Tlopenfd>): Reply {
    this.dispatch({ type: MsgType.Twalk, fid: m.fid, newfid: m.newfid, names: [] });
    let opened: MessageOf<MsgType.Rlopen>;
    try {
      // Through dispatch: a read-only Gofer refuses opens for writing there.
      opened = this.dispatch({ type: MsgType.Tlopen, fid: m.newfid, flags: m.flags }) as MessageOf<MsgType.Rlopen>;
    } catch (e) {
      this.clunk(m.newfid);
      throw e;
    }
    let fd: number | undefined;
    try {
      fd = this.donatable(m.newfid);
    } catch {
      fd = undefined; // not a read-only regular file: the reply goes without one
    }
    return { frame: encode(tag, { type: MsgType.Rlopenfd, qid: opened.qid, iounit: opened.iounit }), fd };
  }

  /** Twalkgetattr (our extension): a walk that must reach its last name, answered with that name's attributes too. */
  private walkGetattr(m: MessageOf<MsgType.Twalkgetattr>): Message {
    const { qids, last } = this.walkInto(m);
    if (qids.length < m.names.length) fail(qids.length > 0 && qids[qids.length - 1].type !== QT.DIR ? 'ENOTDIR' : 'ENOENT');
    // The walk's own lstat of the last name: a second one could fail after newfid was registered.
    return { ...rgetattr(last ?? this.stat(this.fid(m.newfid))), type: MsgType.Rwalkgetattr, qids };
  }

  private setattr(m: MessageOf<MsgType.Tsetattr>): void {
    const f = this.fid(m.fid);
    const p = this.host(f.path);
    const v = m.valid;
    if (v & SETATTR.MODE) {
      // Linux has no chmod for symlinks (fchmodat AT_SYMLINK_NOFOLLOW gives EOPNOTSUPP).
      if (f.qid.type === QT.SYMLINK) fail('EOPNOTSUPP');
      fs.chmodSync(p, m.mode & 0o7777);
    }
    if (v & (SETATTR.UID | SETATTR.GID)) {
      fs.lchownSync(p, v & SETATTR.UID ? m.uid : -1, v & SETATTR.GID ? m.gid : -1);
    }
    if (v & SETATTR.SIZE) {
      if (f.qid.type !== QT.FILE) fail(f.qid.type === QT.DIR ? 'EISDIR' : 'EINVAL');
      fs.truncateSync(p, Number(m.size));
    }
    if (v & (SETATTR.ATIME | SETATTR.MTIME)) {
      const time = (set: number, setExplicit: number, sec: bigint, nsec: bigint): TimeSpec =>
        !(v & set) ? { sec: 0, nsec: UTIME_OMIT } : v & setExplicit ? { sec: Number(sec), nsec: Number(nsec) } : { sec: 0, nsec: UTIME_NOW };
      lutimens(
        p,
        time(SETATTR.ATIME, SETATTR.ATIME_SET, m.atimeSec, m.atimeNsec),
        time(SETATTR.MTIME, SETATTR.MTIME_SET, m.mtimeSec, m.mtimeNsec),
      );
    }
  }

  private lopen(m: MessageOf<MsgType.Tlopen>): Message {
    const f = this.fid(m.fid);
    if (f.fd !== undefined) fail('EBADF', 'fid already open');
    const st = fs.lstatSync(this.host(f.path), { bigint: true });
    if (st.isSymbolicLink()) fail('ELOOP');
    // Only files and directories are served; FIFOs, sockets and devices belong to the Sentry.
    if (!st.isFile() && !st.isDirectory()) fail('ENXIO');
    f.flags = (m.flags & OPEN_ALLOWED) | OPEN_FORCED;
    f.fd = fs.openSync(this.host(f.path), f.flags);
    f.qid = qidOf(fs.fstatSync(f.fd, { bigint: true }));
    return { type: MsgType.Rlopen, qid: f.qid, iounit: this.iounit() };
  }

  private iounit(): number {
    return this.msize - IOHDRSZ;
  }

  private lcreate(m: MessageOf<MsgType.Tlcreate>): Message {
    const d = this.dir(m.fid);
    if (d.fd !== undefined) fail('EBADF', 'fid already open');
    checkName(m.name);
    const path = child(d.path, m.name);
    const flags = (m.flags & (OPEN_ALLOWED | O.EXCL)) | O.CREAT | OPEN_FORCED;
    const fd = fs.openSync(this.host(path), flags & ~O.DIRECTORY, m.mode & 0o7777);
    try {
      this.own(path, m.gid);
      const qid = qidOf(fs.fstatSync(fd, { bigint: true }));
      Object.assign(d, { path, qid, fd, flags });
      return { type: MsgType.Rlcreate, qid, iounit: this.iounit() };
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** Gives a new node the attaching user's uid and the requested gid. */
  private own(path: string, gid: number): void {
    const uid = this.uid === NONUNAME ? -1 : this.uid;
    const g = gid === NONUNAME ? -1 : gid;
    if (uid !== -1 || g !== -1) fs.lchownSync(this.host(path), uid, g);
  }

  private create(dfid: number, name: string, gid: number, make: (hostPath: string) => void): Qid {
    checkName(name);
    const path = child(this.dir(dfid).path, name);
    make(this.host(path));
    this.own(path, gid);
    return qidOf(fs.lstatSync(this.host(path), { bigint: true }));
  }

  private read(m: MessageOf<MsgType.Tread>): Message {
    const fd = this.openFd(m.fid);
    const buf = pageAlignedBuffer(Math.min(m.count, this.msize - RDATA_HDR));
    const n = fs.readSync(fd, buf, 0, buf.length, Number(m.offset));
    return { type: MsgType.Rread, data: buf.subarray(0, n) };
  }

  /** The host fd Tgetfd may give away: a regular file opened read-only (a writable fd would bypass EROFS). */
  private donatable(n: number): number {
    const f = this.fid(n);
    if (f.fd === undefined || f.flags === undefined) return fail('EINVAL', `fid ${n} is not open`);
    if (!fs.fstatSync(f.fd).isFile()) fail('EINVAL', 'not a regular file');
    if (writes(f.flags)) fail('EACCES', 'opened for writing');
    return f.fd;
  }

  private readdir(m: MessageOf<MsgType.Treaddir>): Message {
    const fd = this.openFd(m.fid);
    const budget = Math.min(m.count, this.msize - RDATA_HDR);
    let offset = m.offset;
    for (;;) {
      // Host records are at most 8 bytes bigger than ours per entry; a floor keeps getdents from EINVAL.
      const host = getdents(fd, BigInt.asIntN(64, offset), Math.max(budget, 4096));
      if (host.length === 0) return { type: MsgType.Rreaddir, data: Buffer.alloc(0) };
      const ents = p9Dirents(host);
      if (ents.length > 0) {
        const data = encodeDirents(ents, budget);
        if (data.length === 0) fail('EINVAL', 'readdir count too small for one entry');
        return { type: MsgType.Rreaddir, data };
      }
      offset = BigInt.asUintN(64, host[host.length - 1].off);
    }
  }

  /** Treaddirall (our extension): every entry of a walked directory, which it opens for the listing only; E2BIG past the budget. */
  private readdirAll(m: MessageOf<MsgType.Treaddirall>): Message {
    const budget = Math.min(m.count, this.msize - RDATA_HDR);
    const fd = fs.openSync(this.host(this.fid(m.fid).path), O.RDONLY | O.DIRECTORY | OPEN_FORCED);
    try {
      const ents: P9Dirent[] = [];
      let size = 0;
      for (let offset = 0n; ; ) {
        const host = getdents(fd, offset, READDIR_CHUNK);
        if (host.length === 0) return { type: MsgType.Rreaddirall, data: encodeDirents(ents, budget) };
        for (const d of p9Dirents(host)) {
          size += direntSize(d.name);
          if (size > budget) fail('E2BIG', 'listing larger than the reply');
          ents.push(d);
        }
        offset = host[host.length - 1].off;
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  private mknod(m: MessageOf<MsgType.Tmknod>): Message {
    const type = m.mode & S_IFMT;
    // Device nodes would hand the container host devices: refuse like an unprivileged mknod.
    if (type !== 0 && type !== S_IFREG && type !== S_IFIFO && type !== S_IFSOCK) fail('EPERM');
    const mode = (type || S_IFREG) | (m.mode & 0o7777);
    return { type: MsgType.Rmknod, qid: this.create(m.dfid, m.name, m.gid, (p) => mknod(p, mode, 0n)) };
  }

  private link(m: MessageOf<MsgType.Tlink>): void {
    checkName(m.name);
    const dst = child(this.dir(m.dfid).path, m.name);
    fs.linkSync(this.host(this.fid(m.fid).path), this.host(dst));
  }

  private unlinkat(m: MessageOf<MsgType.Tunlinkat>): void {
    if (m.flags & ~AT.REMOVEDIR) fail('EINVAL');
    checkName(m.name);
    const p = this.host(child(this.dir(m.dirFid).path, m.name));
    if (m.flags & AT.REMOVEDIR) fs.rmdirSync(p);
    else fs.unlinkSync(p);
  }

  private renameat(m: MessageOf<MsgType.Trenameat>): void {
    checkName(m.oldName);
    checkName(m.newName);
    const from = child(this.dir(m.oldDirFid).path, m.oldName);
    const to = child(this.dir(m.newDirFid).path, m.newName);
    fs.renameSync(this.host(from), this.host(to));
    if (from === to) return;
    // Fids name paths, so those at or below the moved node follow it.
    for (const f of this.fids.values()) {
      if (isWithin(f.path, from)) f.path = to + f.path.slice(from.length);
    }
  }

  private statfs(m: MessageOf<MsgType.Tstatfs>): Message {
    const f = this.fid(m.fid);
    const s = statfs(f.fd ?? this.host(f.path));
    return {
      type: MsgType.Rstatfs,
      fsType: Number(s.type),
      bsize: Number(s.bsize),
      blocks: s.blocks,
      bfree: s.bfree,
      bavail: s.bavail,
      files: s.files,
      ffree: s.ffree,
      fsid: s.fsid,
      namelen: Number(s.namelen),
    };
  }

  private clunk(n: number): void {
    const f = this.fid(n);
    this.fids.delete(n);
    if (f.fd !== undefined) fs.closeSync(f.fd);
  }
}

function writes(flags: number): boolean {
  return (flags & O.ACCMODE) !== O.RDONLY || (flags & O.TRUNC) !== 0;
}

/** Host getdents64 records as 9P dirents, without . and .. (the offset is the host's cookie). */
function p9Dirents(host: readonly HostDirent[]): P9Dirent[] {
  return host
    .filter((d) => d.name !== '.' && d.name !== '..')
    .map((d) => ({ qid: { type: qidTypeOfDirent(d.type), version: 0, path: d.ino }, offset: BigInt.asUintN(64, d.off), type: d.type, name: d.name }));
}
