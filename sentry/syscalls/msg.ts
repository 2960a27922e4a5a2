/**
 * System V message queues: msgget(2), msgsnd(2), msgrcv(2), msgctl(2) over
 * the kernel's IPC namespace (kernel/ipc/msg.ts). A send to a full queue
 * or a receive with nothing to take parks on the queue's wait queue and
 * runs again when a message comes or goes; a signal ends it with EINTR
 * (never restarted), the queue's removal with EIDRM. Pids are the
 * sandbox's.
 */
import { CAP } from '../abi/linux/capability';
import { IPC, MSG, MSGINFO_SIZE, MSGMAP, MSGPOOL, MSGSEG, MSGSSZ, MSGTQL, MSQID_DS_OFF, MSQID_DS_SIZE } from '../abi/linux/ipc';
import { fail } from '../errors/linuxerr';
import { encodePerm, ipcAllowed } from '../kernel/ipc/ipc';
import { type MsgNamespace, type MsgQueue } from '../kernel/ipc/msg';
import { msgNamespace } from '../kernel/ipc/namespace';
import type { Task } from '../kernel/task';
import type { SyscallArgs } from './args';
import { commonIpcCtl, type IpcKind, parked } from './ipcctl';
import { FamilyRows, partial, supported } from './rows';

function ns(t: Task): MsgNamespace {
  return msgNamespace(t.kernel);
}

/** msgget(2): IPC_PRIVATE or a key (IPC_CREAT, IPC_EXCL); the low 9 bits of msgflg are the mode. */
function msgget(t: Task, a: SyscallArgs): number {
  return ns(t).get(a.int(0), a.int(1), t.process.creds).id;
}

/** The queue an operation uses (EINVAL if none, EACCES without `access`). */
function usable(t: Task, id: number, access: number): MsgQueue {
  const q = ns(t).byId(id);
  if (!ipcAllowed(t.process.creds, q.perm, access)) fail('EACCES', 'message queue permissions');
  return q;
}

/** Waits for a change of `q` (kernel/ipc/ipc.ts IpcWaiters: EINTR on a signal, EIDRM if it is removed). */
function wait(t: Task, q: MsgQueue): never {
  return ns(t).waiting.park(t, q, undefined, () => parked(t));
}

/**
 * msgsnd(2): EINVAL for a size past kernel.msgmax (or negative) or a type
 * below 1; waits while the queue is full (bytes or messages past
 * msg_qbytes), EAGAIN with IPC_NOWAIT.
 */
function msgsnd(t: Task, a: SyscallArgs): number {
  const id = a.int(0);
  const size = a.long(2);
  const flags = a.int(3);
  ns(t).waiting.resume(t, id);
  const space = ns(t);
  if (size > space.limits().msgmax || size < 0 || id < 0) fail('EINVAL', `message of ${size} bytes`);
  const type = t.mem.read(a.ptr(1), 8).readBigInt64LE(0);
  if (type < 1n) fail('EINVAL', `message type ${type}`);
  const text = t.mem.read(a.ptr(1) + 8, size);
  const q = usable(t, id, 0o222);
  if (!space.fits(q, size)) {
    if (flags & IPC.NOWAIT) fail('EAGAIN', 'message queue full');
    wait(t, q);
  }
  space.send(q, { type, text }, t.process.pid);
  return 0;
}

/**
 * msgrcv(2): the message msgtyp selects (MSG_EXCEPT inverts a positive
 * type; MSG_COPY, with IPC_NOWAIT, copies the message at that index and
 * leaves it); E2BIG when it is larger than msgsz unless MSG_NOERROR cuts
 * it (the cut part is lost); waits while there is none, ENOMSG with
 * IPC_NOWAIT. Returns the bytes of text copied after the type.
 */
function msgrcv(t: Task, a: SyscallArgs): number {
  const id = a.int(0);
  const size = a.long(2);
  const type = BigInt.asIntN(64, a.u64(3));
  const flags = a.int(4);
  ns(t).waiting.resume(t, id);
  if (id < 0 || size < 0) fail('EINVAL', `msgrcv of ${size} bytes`);
  const copy = (flags & MSG.COPY) !== 0;
  if (copy && (flags & MSG.EXCEPT || !(flags & IPC.NOWAIT))) fail('EINVAL', 'MSG_COPY needs IPC_NOWAIT and no MSG_EXCEPT');
  const space = ns(t);
  const q = usable(t, id, 0o444);
  const i = copy ? (type >= 0n && type < BigInt(q.messages.length) ? Number(type) : -1) : space.find(q, type, flags);
  if (i < 0) {
    if (flags & IPC.NOWAIT) fail('ENOMSG', 'no such message');
    wait(t, q);
  }
  const m = q.messages[i];
  if (m.text.length > size && !(flags & MSG.NOERROR)) fail('E2BIG', `message of ${m.text.length} bytes`);
  const n = Math.min(size, m.text.length);
  const out = Buffer.alloc(8 + n);
  out.writeBigInt64LE(m.type);
  m.text.copy(out, 8, 0, n);
  t.mem.write(a.ptr(1), out);
  if (!copy) space.take(q, i, t.process.pid);
  return n;
}

/** struct msqid64_ds of `q`. */
function msqidDs(q: MsgQueue): Buffer {
  const b = Buffer.alloc(MSQID_DS_SIZE);
  encodePerm(b, q.perm);
  b.writeBigInt64LE(BigInt(q.stime), MSQID_DS_OFF.stime);
  b.writeBigInt64LE(BigInt(q.rtime), MSQID_DS_OFF.rtime);
  b.writeBigInt64LE(BigInt(q.ctime), MSQID_DS_OFF.ctime);
  b.writeBigUInt64LE(BigInt(q.bytes), MSQID_DS_OFF.cbytes);
  b.writeBigUInt64LE(BigInt(q.messages.length), MSQID_DS_OFF.qnum);
  b.writeBigUInt64LE(BigInt(q.qbytes), MSQID_DS_OFF.qbytes);
  b.writeInt32LE(q.lspid, MSQID_DS_OFF.lspid);
  b.writeInt32LE(q.lrpid, MSQID_DS_OFF.lrpid);
  return b;
}

/** struct msginfo: IPC_INFO's limits; MSG_INFO puts the queues, messages and bytes in use in msgpool, msgmap and msgtql. */
function msginfo(space: MsgNamespace, cmd: number): Buffer {
  const l = space.limits();
  const used = space.totals();
  const info = cmd === MSG.INFO;
  const b = Buffer.alloc(MSGINFO_SIZE);
  [info ? used.queues : MSGPOOL, info ? used.messages : MSGMAP, l.msgmax, l.msgmnb, l.msgmni, MSGSSZ, info ? used.bytes : MSGTQL].forEach((v, i) => b.writeInt32LE(v, i * 4));
  b.writeUInt16LE(MSGSEG, 28);
  return b;
}

const MSG_KIND: IpcKind<MsgQueue> = {
  statCmd: MSG.STAT,
  statAnyCmd: MSG.STAT_ANY,
  dsSize: MSQID_DS_SIZE,
  encode: msqidDs,
  // msg_qbytes past kernel.msgmnb needs CAP_SYS_RESOURCE; a larger one may let waiting senders in.
  checkSet: (q, ds, t) => {
    if (Number(ds.readBigUInt64LE(MSQID_DS_OFF.qbytes)) > ns(t).limits().msgmnb && !t.process.creds.hasCap(CAP.SYS_RESOURCE)) fail('EPERM', 'msg_qbytes past kernel.msgmnb');
  },
  applySet: (q, ds) => {
    q.qbytes = Number(ds.readBigUInt64LE(MSQID_DS_OFF.qbytes));
    q.queue.notify();
  },
};

/**
 * msgctl(2): IPC_STAT, MSG_STAT, MSG_STAT_ANY, IPC_SET (with msg_qbytes)
 * and IPC_RMID as every IPC object (syscalls/ipcctl.ts); IPC_INFO and
 * MSG_INFO return the highest index in use.
 */
function msgctl(t: Task, a: SyscallArgs): number {
  const id = a.int(0);
  const cmd = a.int(1);
  if (id < 0 || cmd < 0) fail('EINVAL', 'msgctl id or command');
  const space = ns(t);
  if (cmd === IPC.INFO || cmd === MSG.INFO) {
    t.mem.write(a.ptr(2), msginfo(space, cmd));
    return Math.max(0, space.maxIndex());
  }
  return commonIpcCtl(t, space, MSG_KIND, cmd, id, a.ptr(2)) ?? fail('EINVAL', `msgctl command ${cmd}`);
}

export const msgSyscalls: FamilyRows = {
  msgget: partial(msgget, 'limits from kernel.msgmax, msgmnb, msgmni'),
  msgsnd: partial(msgsnd, 'waiters re-check on every change of their queue'),
  msgrcv: partial(msgrcv, 'waiters re-check on every change of their queue'),
  msgctl: supported(msgctl),
};
