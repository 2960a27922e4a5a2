/**
 * POSIX message queues (kernel/ipc/mqueue.ts, fsimpl/mqueue/mqfile.ts):
 * mq_open, mq_unlink, mq_timedsend, mq_timedreceive, mq_notify and
 * mq_getsetattr with Linux's argument checks in Linux's order. A send to a
 * full queue or a receive from an empty one waits (until the absolute
 * CLOCK_REALTIME timeout: ETIMEDOUT; restarted after a SA_RESTART
 * handler) unless the description is O_NONBLOCK (EAGAIN). Not supported:
 * SIGEV_THREAD notifications (EINVAL), the mqueue filesystem.
 */
import { O, PATH_MAX, R_OK, W_OK } from '../abi/linux/fs';
import { MQ_ATTR, MQ_PRIO_MAX } from '../abi/linux/mqueue';
import { SI, SIGEV, SIGEVENT, SIGINFO } from '../abi/linux/sigframe';
import { CLOCK, decodeTimespec, TIMESPEC_SIZE } from '../abi/linux/time';
import { fail } from '../errors/linuxerr';
import { MqFile, queueStat } from '../fsimpl/mqueue/mqfile';
import { checkName, type MessageQueue } from '../kernel/ipc/mqueue';
import { mqNamespace } from '../kernel/ipc/namespace';
import { RLIMIT } from '../kernel/limits';
import { kernelInfo } from '../kernel/signal/siginfo';
import { queueSignal } from '../kernel/signal/send';
import { validSignal } from '../kernel/signals';
import type { Task } from '../kernel/task';
import { readCString, writeI32 } from '../kernel/usermem';
import { Block, ETIMEDOUT } from '../kernel/wait';
import type { FdTable } from '../vfs/fdtable';
import { checkAccess } from '../vfs/perm';
import type { SyscallArgs } from './args';
import { installNew } from './eventfd';
import { FamilyRows, partial, supported } from './rows';
import { absoluteDeadline } from './time';

/** The message queue description behind `fd` (EBADF for other files). */
function mqFile(t: Task, fd: number): MqFile {
  return t.process.fds.getKind(fd, MqFile, 'EBADF', 'a message queue');
}

/** The name argument: glibc has taken the leading '/' away. */
function readName(t: Task, addr: number): string {
  const name = readCString(t.mem, addr, PATH_MAX);
  checkName(name);
  return name;
}

/**
 * mq_open(2): opens queue `name`, creating it with O_CREAT (the mode
 * under the umask, `attr`'s sizes or the defaults); always close-on-exec,
 * as Linux makes it. EEXIST with O_EXCL, ENOENT without O_CREAT, EACCES
 * without permission, EINVAL for access mode 3 on an existing queue.
 */
function mqOpen(t: Task, a: SyscallArgs): number {
  const oflag = a.int(1);
  let attr: { maxmsg: number; msgsize: number } | undefined;
  if (a.ptr(3) !== 0) {
    const b = t.mem.read(a.ptr(3), MQ_ATTR.SIZE);
    attr = { maxmsg: Number(b.readBigInt64LE(MQ_ATTR.MAXMSG)), msgsize: Number(b.readBigInt64LE(MQ_ATTR.MSGSIZE)) };
  }
  const name = readName(t, a.ptr(0));
  const space = mqNamespace(t.kernel);
  const creds = t.process.creds;
  let q = space.lookup(name);
  if (q === undefined) {
    if (!(oflag & O.CREAT)) fail('ENOENT', `message queue ${name}`);
    q = space.create(name, a.uint(2) & 0o7777 & ~t.process.fs.umask, attr, creds, t.process.limits[RLIMIT.MSGQUEUE].cur);
  } else {
    if ((oflag & (O.CREAT | O.EXCL)) === (O.CREAT | O.EXCL)) fail('EEXIST', `message queue ${name}`);
    const acc = oflag & O.ACCMODE;
    if (acc === O.ACCMODE) fail('EINVAL', 'access mode 3');
    const want = acc === O.RDONLY ? R_OK : acc === O.WRONLY ? W_OK : R_OK | W_OK;
    checkAccess(creds, queueStat(q), want, `message queue ${name}`);
  }
  return installNew(t, new MqFile(q, space, oflag & (O.ACCMODE | O.NONBLOCK)), true);
}

/** mq_unlink(2): removes the name; open descriptors keep the queue. */
function mqUnlink(t: Task, a: SyscallArgs): number {
  mqNamespace(t.kernel).unlink(readName(t, a.ptr(0)), t.process.creds);
  return 0;
}

/** The absolute CLOCK_REALTIME timeout (null: none), checked before anything else (EINVAL, EFAULT). */
function timeout(t: Task, addr: number): bigint | undefined {
  if (addr === 0) return undefined;
  const ts = decodeTimespec(t.mem.read(addr, TIMESPEC_SIZE)) ?? fail('EINVAL', 'timeout');
  return absoluteDeadline(t, ts, CLOCK.REALTIME);
}

/** Waits for `q` to change, as a receiver (its arrival notifies nobody) or a sender. */
function wait(t: Task, q: MessageQueue, deadline: bigint | undefined, receiving: boolean): never {
  if (receiving) q.receivers.add(t);
  throw new Block([q.waitQueue], deadline, ETIMEDOUT, 'restart', () => q.receivers.delete(t));
}

/** SIGEV_SIGNAL's signal to the registered process (SI_MESGQ, the sender's pid and uid); a notification is sent once. */
function notify(t: Task, q: MessageQueue): void {
  const n = q.notification;
  q.notification = undefined;
  if (n === undefined || n.notify !== SIGEV.SIGNAL || n.signo === 0 || n.owner.exitStatus !== undefined) return;
  const info = kernelInfo(n.signo, SI.MESGQ);
  info.writeInt32LE(t.process.pid, SIGINFO.PID);
  info.writeUInt32LE(t.process.creds.uid, SIGINFO.UID);
  info.writeBigUInt64LE(n.value, SIGINFO.VALUE);
  queueSignal(n.owner, n.signo, info, true);
}

/** mq_timedsend(2): EINVAL for a priority past MQ_PRIO_MAX - 1, EBADF unless open for writing, EMSGSIZE past mq_msgsize. */
function mqTimedsend(t: Task, a: SyscallArgs): number {
  const deadline = timeout(t, a.ptr(4));
  if (a.uint(3) >= MQ_PRIO_MAX) fail('EINVAL', `priority ${a.uint(3)}`);
  const f = mqFile(t, a.int(0));
  if (!f.writable) fail('EBADF', 'message queue not open for writing');
  const q = f.queue;
  const len = a.size(2);
  if (len > q.msgsize) fail('EMSGSIZE', `message of ${len} bytes`);
  const data = t.mem.read(a.ptr(1), len);
  if (q.full) {
    if (f.flags & O.NONBLOCK) fail('EAGAIN', 'message queue full');
    wait(t, q, deadline, false);
  }
  if (q.push(a.uint(3), data)) notify(t, q);
  return 0;
}

/** mq_timedreceive(2): the oldest message of the highest priority; EMSGSIZE for a buffer under mq_msgsize. */
function mqTimedreceive(t: Task, a: SyscallArgs): number {
  const deadline = timeout(t, a.ptr(4));
  const f = mqFile(t, a.int(0));
  if (!f.readable) fail('EBADF', 'message queue not open for reading');
  const q = f.queue;
  q.receivers.delete(t);
  if (a.size(2) < q.msgsize) fail('EMSGSIZE', 'buffer smaller than mq_msgsize');
  const m = q.shift();
  if (m === undefined) {
    if (f.flags & O.NONBLOCK) fail('EAGAIN', 'message queue empty');
    wait(t, q, deadline, true);
  }
  // The message is taken: a fault storing it loses it, as in Linux.
  if (a.ptr(3) !== 0) writeI32(t.mem, a.ptr(3), m.prio);
  t.mem.write(a.ptr(1), m.data);
  return m.data.length;
}

/** Tables whose dropped descriptors end their process's notifications (mqueue_flush_file). */
const watchedTables = new WeakSet<FdTable>();

function watchCloses(t: Task): void {
  const fds = t.process.fds;
  if (watchedTables.has(fds)) return;
  watchedTables.add(fds);
  const owner = t.process;
  fds.onDrop((file) => {
    if (file instanceof MqFile && file.queue.notification?.owner === owner) file.queue.notification = undefined;
  });
}

/**
 * mq_notify(2): registers the caller's process for one notification
 * (SIGEV_NONE or SIGEV_SIGNAL) of a message arriving on the empty queue;
 * NULL unregisters it (when it is the registered one). EBUSY while
 * another process is registered. Closing any descriptor of the queue ends
 * the caller's registration.
 */
function mqNotify(t: Task, a: SyscallArgs): number {
  let ev: { notify: number; signo: number; value: bigint } | undefined;
  if (a.ptr(1) !== 0) {
    const b = t.mem.read(a.ptr(1), SIGEVENT.SIZE);
    ev = { notify: b.readInt32LE(SIGEVENT.NOTIFY), signo: b.readInt32LE(SIGEVENT.SIGNO), value: b.readBigUInt64LE(SIGEVENT.VALUE) };
    if (ev.notify !== SIGEV.NONE && ev.notify !== SIGEV.SIGNAL && ev.notify !== SIGEV.THREAD) fail('EINVAL', `sigev_notify ${ev.notify}`);
    if (ev.notify === SIGEV.SIGNAL && ev.signo !== 0 && !validSignal(ev.signo)) fail('EINVAL', `signal ${ev.signo}`);
    if (ev.notify === SIGEV.THREAD) fail('EINVAL', 'SIGEV_THREAD notifications are not supported');
  }
  const q = mqFile(t, a.int(0)).queue;
  if (ev === undefined) {
    if (q.notification?.owner === t.process) q.notification = undefined;
    return 0;
  }
  if (q.notification !== undefined) fail('EBUSY', 'another process is registered');
  q.notification = { owner: t.process, ...ev };
  watchCloses(t);
  return 0;
}

/** mq_getsetattr(2): the queue's attributes with the description's O_NONBLOCK; a new mq_flags may only set O_NONBLOCK. */
function mqGetsetattr(t: Task, a: SyscallArgs): number {
  let nonblock: boolean | undefined;
  if (a.ptr(1) !== 0) {
    const flags = t.mem.read(a.ptr(1), MQ_ATTR.SIZE).readBigInt64LE(MQ_ATTR.FLAGS);
    if (flags & ~BigInt(O.NONBLOCK)) fail('EINVAL', 'mq_flags other than O_NONBLOCK');
    nonblock = flags !== 0n;
  }
  const f = mqFile(t, a.int(0));
  const old = Buffer.alloc(MQ_ATTR.SIZE);
  old.writeBigInt64LE(BigInt(f.flags & O.NONBLOCK), MQ_ATTR.FLAGS);
  old.writeBigInt64LE(BigInt(f.queue.maxmsg), MQ_ATTR.MAXMSG);
  old.writeBigInt64LE(BigInt(f.queue.msgsize), MQ_ATTR.MSGSIZE);
  old.writeBigInt64LE(BigInt(f.queue.length), MQ_ATTR.CURMSGS);
  if (nonblock !== undefined) f.flags = nonblock ? f.flags | O.NONBLOCK : f.flags & ~O.NONBLOCK;
  if (a.ptr(2) !== 0) t.mem.write(a.ptr(2), old);
  return 0;
}

export const mqueueRows: FamilyRows = {
  mq_open: partial(mqOpen, 'no mqueue filesystem (/dev/mqueue)'),
  mq_unlink: supported(mqUnlink),
  mq_timedsend: supported(mqTimedsend),
  mq_timedreceive: supported(mqTimedreceive),
  mq_notify: partial(mqNotify, 'SIGEV_THREAD is EINVAL; a process that exec\'d still gets its signal'),
  mq_getsetattr: supported(mqGetsetattr),
};
