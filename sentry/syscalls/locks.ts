/**
 * File locking: flock(2) and fcntl(2)'s record locks (F_GETLK/F_SETLK/
 * F_SETLKW and the OFD variants), over the kernel's LockManager
 * (kernel/locks.ts). Locks are advisory and live in the Sentry only: a
 * file is identified by its st_dev/st_ino inside the sandbox, and nothing
 * reaches the Gofer or the host, so host processes do not see them.
 */
import { F, F_RDLCK, F_UNLCK, F_WRLCK, FLOCK, LOCK, O, SEEK } from '../abi/linux/fs';
import { fail } from '../errors/linuxerr';
import type { Kernel } from '../kernel/kernel';
import { FlockType, LockManager, OFFSET_MAX, RecordLock, RecordRequest, RecordType } from '../kernel/locks';
import type { Task } from '../kernel/task';
import { Block } from '../kernel/wait';
import type { FdTable } from '../vfs/fdtable';
import type { FileDescription } from '../vfs/file';
import type { SyscallArgs } from './args';
import { FamilyRows, partial } from './rows';

const managers = new WeakMap<Kernel, LockManager>();

/** The kernel's lock table (one per kernel, created on first use). */
export function locksOf(k: Kernel): LockManager {
  let m = managers.get(k);
  if (!m) managers.set(k, (m = new LockManager()));
  return m;
}

/** A file's identity for locking: the same inode through any path or description. */
function lockKey(f: FileDescription): string {
  const st = f.stat();
  return `${st.dev}:${st.ino}`;
}

const watchedTables = new WeakSet<FdTable>();
const watchedFiles = new WeakSet<FileDescription>();

/** POSIX locks end when their owner (the fd table) closes any descriptor of the file. */
function watchTable(m: LockManager, fds: FdTable): void {
  if (watchedTables.has(fds)) return;
  watchedTables.add(fds);
  fds.onDrop((file) => {
    if (!m.holdsRecords(fds)) return;
    let key: string;
    try {
      key = lockKey(file);
    } catch {
      return; // a description without a stat (none today) holds no locks
    }
    m.releaseRecords(fds, key);
  });
}

/** flock and OFD locks end with the description's last reference. */
function watchDescription(m: LockManager, f: FileDescription, key: string): void {
  if (watchedFiles.has(f)) return;
  if (!f.onLastClose) fail('ENOLCK', 'this description cannot hold locks');
  watchedFiles.add(f);
  f.onLastClose(() => m.releaseDescription(f, key));
}

/**
 * flock(2): LOCK_SH, LOCK_EX, LOCK_UN, with LOCK_NB. The lock belongs to
 * the open file description (shared by dup and fork) and ends with its
 * last close. A conflicting request fails with EWOULDBLOCK under LOCK_NB,
 * else parks the task until the holder lets go; a signal handler
 * interrupts the wait (EINTR, or a restart with SA_RESTART).
 */
function flock(t: Task, a: SyscallArgs): number {
  const f = t.process.fds.get(a.int(0));
  const op = a.int(1);
  let type: FlockType | undefined;
  switch (op & ~LOCK.NB) {
    case LOCK.SH:
      type = 'shared';
      break;
    case LOCK.EX:
      type = 'exclusive';
      break;
    case LOCK.UN:
      type = undefined;
      break;
    default:
      return fail('EINVAL', `flock operation ${op}`);
  }
  if (f.flags & O.PATH) fail('EBADF', 'O_PATH');
  const m = locksOf(t.kernel);
  const key = lockKey(f);
  watchDescription(m, f, key);
  if (m.flock(key, f, type)) return 0;
  if (op & LOCK.NB) fail('EAGAIN', 'flock held by another description');
  throw new Block([m.queue(key)]);
}

/** The file position for SEEK_CUR (0 for descriptions without one, like Linux's f_pos of a pipe). */
function position(f: FileDescription): bigint {
  try {
    return BigInt(f.seek(0, SEEK.CUR));
  } catch {
    return 0n;
  }
}

/** struct flock's range as Linux resolves it: [start, end] inclusive, l_len 0 = to OFFSET_MAX, negative l_len reaches back. */
function range(f: FileDescription, b: Buffer): { start: bigint; end: bigint } {
  const whence = b.readInt16LE(FLOCK.WHENCE);
  const lStart = b.readBigInt64LE(FLOCK.START);
  const lLen = b.readBigInt64LE(FLOCK.LEN);
  let base: bigint;
  if (whence === SEEK.SET) base = 0n;
  else if (whence === SEEK.CUR) base = position(f);
  else if (whence === SEEK.END) base = BigInt(f.stat().size);
  else return fail('EINVAL', `l_whence ${whence}`);
  if (lStart > OFFSET_MAX - base) fail('EOVERFLOW');
  const start = base + lStart;
  if (start < 0n) fail('EINVAL', 'lock starts before 0');
  if (lLen > 0n) {
    if (lLen - 1n > OFFSET_MAX - start) fail('EOVERFLOW');
    return { start, end: start + lLen - 1n };
  }
  if (lLen < 0n) {
    if (start + lLen < 0n) fail('EINVAL', 'lock starts before 0');
    return { start: start + lLen, end: start - 1n };
  }
  return { start, end: OFFSET_MAX };
}

function recordType(lType: number): RecordType | undefined {
  if (lType === F_RDLCK) return 'read';
  if (lType === F_WRLCK) return 'write';
  if (lType === F_UNLCK) return undefined;
  return fail('EINVAL', `l_type ${lType}`);
}

function request(t: Task, f: FileDescription, b: Buffer, ofd: boolean): RecordRequest {
  const { start, end } = range(f, b);
  return {
    owner: ofd ? f : t.process.fds,
    ofd,
    pid: ofd ? -1 : t.process.pid,
    type: recordType(b.readInt16LE(FLOCK.TYPE)),
    start,
    end,
  };
}

/** F_GETLK's answer: the conflicting lock (whence SEEK_SET, l_len 0 for "to the end"), l_pid -1 for an OFD lock. */
function describe(b: Buffer, l: RecordLock): void {
  b.writeInt16LE(l.type === 'read' ? F_RDLCK : F_WRLCK, FLOCK.TYPE);
  b.writeInt16LE(SEEK.SET, FLOCK.WHENCE);
  b.writeBigInt64LE(l.start, FLOCK.START);
  b.writeBigInt64LE(l.end === OFFSET_MAX ? 0n : l.end - l.start + 1n, FLOCK.LEN);
  b.writeInt32LE(l.ofd ? -1 : l.pid, FLOCK.PID);
}

function getLock(t: Task, f: FileDescription, addr: number, ofd: boolean): number {
  const b = t.mem.read(addr, FLOCK.SIZE);
  const lType = b.readInt16LE(FLOCK.TYPE);
  if (lType !== F_RDLCK && lType !== F_WRLCK) fail('EINVAL', `F_GETLK l_type ${lType}`);
  if (ofd && b.readInt32LE(FLOCK.PID) !== 0) fail('EINVAL', 'OFD lock with l_pid');
  const req = request(t, f, b, ofd);
  const m = locksOf(t.kernel);
  const c = m.testRecord(lockKey(f), req);
  if (c) describe(b, c);
  else b.writeInt16LE(F_UNLCK, FLOCK.TYPE);
  t.mem.write(addr, b);
  return 0;
}

function setLock(t: Task, f: FileDescription, addr: number, ofd: boolean, wait: boolean): number {
  const m = locksOf(t.kernel);
  m.stopWaiting(t);
  const b = t.mem.read(addr, FLOCK.SIZE);
  const req = request(t, f, b, ofd);
  const access = f.flags & O.ACCMODE;
  if (req.type === 'read' && access === O.WRONLY) fail('EBADF', 'read lock on a write-only description');
  if (req.type === 'write' && access === O.RDONLY) fail('EBADF', 'write lock on a read-only description');
  if (ofd && b.readInt32LE(FLOCK.PID) !== 0) fail('EINVAL', 'OFD lock with l_pid');
  const key = lockKey(f);
  if (ofd) watchDescription(m, f, key);
  else watchTable(m, t.process.fds);
  const c = m.setRecord(key, req);
  if (!c) return 0;
  if (!wait) return fail('EAGAIN', 'conflicting record lock');
  if (!ofd && m.wouldDeadlock(req.owner, c)) fail('EDEADLK');
  if (!ofd) m.startWaiting(t, req.owner, c);
  throw new Block([m.queue(key)], undefined, 0, 'restart', () => m.stopWaiting(t));
}

/**
 * fcntl(2)'s lock commands, for fs-open's fcntl to delegate to; undefined
 * for other commands. POSIX locks (F_SETLK…) belong to the process's fd
 * table and end when it closes any descriptor of the file or exits; F_GETLK
 * reports l_pid as the sandbox pid; F_SETLKW detects a deadlock between
 * waiting processes (EDEADLK). OFD locks (F_OFD_SETLK…) belong to the
 * description, need l_pid 0, and report l_pid -1. Conflicts are EAGAIN;
 * a waiting F_SETLKW is interrupted by a signal handler (EINTR, or a
 * restart with SA_RESTART).
 */
export function lockFcntl(t: Task, f: FileDescription, cmd: number, addr: number): number | undefined {
  const isLock = cmd === F.GETLK || cmd === F.SETLK || cmd === F.SETLKW || cmd === F.OFD_GETLK || cmd === F.OFD_SETLK || cmd === F.OFD_SETLKW;
  if (!isLock) return undefined;
  if (f.flags & O.PATH) fail('EBADF', 'O_PATH');
  switch (cmd) {
    case F.GETLK:
      return getLock(t, f, addr, false);
    case F.OFD_GETLK:
      return getLock(t, f, addr, true);
    case F.SETLK:
    case F.SETLKW:
      return setLock(t, f, addr, false, cmd === F.SETLKW);
    default:
      return setLock(t, f, addr, true, cmd === F.OFD_SETLKW);
  }
}

export const lockRows: FamilyRows = {
  flock: partial(flock, 'advisory, inside the sandbox only (not shared with host processes); LOCK_MAND is EINVAL'),
};
