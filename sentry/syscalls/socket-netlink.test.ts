import assert from 'node:assert/strict';
import { Errno } from '../abi/linux/errno';
import { IFADDRMSG, IFINFOMSG, NETLINK_OPT, NLM_F, NLMSG, RTM, SOL_NETLINK } from '../abi/linux/netlink';
import { POLL } from '../abi/linux/poll';
import { MSG, MSGHDR, SOL_SOCKET } from '../abi/linux/scm';
import { AF, MSG_FLAGS, SCM_CREDENTIALS, SO, SOCK } from '../abi/linux/socket';
import type { SyscallName } from '../abi/linux/syscalls';
import type { Task } from '../kernel/task';
import { readinessOf } from '../kernel/poll';
import { nlMessage, splitMessages } from '../fsimpl/socket/nlmsg';
import { buildRootVfs } from '../vfs/mounts';
import { blockOf, callRow, errnoOf, FakeGofer, FakeMemory, makeTask } from '../vfs/testkit';
import { fsRows } from './fs';
import { socketRows } from './socket';

const rows = { ...fsRows, ...socketRows };

function setup(): { t: Task; mem: FakeMemory } {
  const gofer = new FakeGofer();
  const { task, mem } = makeTask((k) => buildRootVfs({ gofer, overlay: 'memory', kernel: k, host: { cpuinfo: '', memTotalKb: 1 } }));
  return { t: task, mem };
}

function call(t: Task, name: SyscallName, ...v: (number | bigint)[]): number {
  return callRow(rows, t, name, ...v);
}

function snl(mem: FakeMemory, pid: number, groups = 0, family: number = AF.NETLINK): number {
  const b = Buffer.alloc(12);
  b.writeUInt16LE(family, 0);
  b.writeUInt32LE(pid >>> 0, 4);
  b.writeUInt32LE(groups, 8);
  return mem.alloc(12, b);
}

function nameOf(t: Task, mem: FakeMemory, fd: number, which: 'getsockname' | 'getpeername' = 'getsockname'): { family: number; pid: number; groups: number } {
  const addr = mem.alloc(12);
  const len = mem.alloc(4, Buffer.from([12, 0, 0, 0]));
  call(t, which, fd, addr, len);
  const b = mem.read(addr, 12);
  return { family: b.readUInt16LE(0), pid: b.readUInt32LE(4), groups: b.readUInt32LE(8) };
}

/** An int option value in app memory. */
const intOpt = (mem: FakeMemory, v: number): number => mem.alloc(4, new Uint8Array(Int32Array.of(v).buffer));

/** getsockopt with `room` bytes: the length it reported and the bytes it wrote. */
function getOpt(t: Task, mem: FakeMemory, fd: number, level: number, name: number, room = 4): { len: number; value: Buffer } {
  const v = mem.alloc(room);
  const lenPtr = mem.alloc(4, new Uint8Array(Int32Array.of(room).buffer));
  call(t, 'getsockopt', fd, level, name, v, lenPtr);
  const len = mem.read(lenPtr, 4).readInt32LE(0);
  return { len, value: mem.read(v, Math.min(len, room)) };
}

const getInt = (t: Task, mem: FakeMemory, fd: number, level: number, name: number): number => getOpt(t, mem, fd, level, name).value.readInt32LE(0);

function send(t: Task, mem: FakeMemory, fd: number, msg: Buffer): number {
  return call(t, 'sendto', fd, mem.alloc(msg.length, msg), msg.length, 0, snl(mem, 0), 12);
}

const getlinkDump = (seq: number) => nlMessage(RTM.GETLINK, NLM_F.REQUEST | NLM_F.DUMP, seq, 0, [Buffer.alloc(IFINFOMSG.SIZE)]);

interface Msg {
  n: number;
  flags: number;
  data: Buffer;
  name: Buffer;
  control: Buffer;
}

/** recvmsg with one iovec of `len` bytes and `controlLen` bytes of control room. */
function recvmsg(t: Task, mem: FakeMemory, fd: number, len: number, flags = 0, controlLen = 0): Msg {
  const buf = mem.alloc(Math.max(len, 1));
  const name = mem.alloc(12);
  const control = controlLen ? mem.alloc(controlLen) : 0;
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(BigInt(len === 0 ? 0 : buf), 0);
  iov.writeBigUInt64LE(BigInt(len), 8);
  const h = Buffer.alloc(MSGHDR.SIZE);
  h.writeBigUInt64LE(BigInt(name), MSGHDR.NAME);
  h.writeInt32LE(12, MSGHDR.NAMELEN);
  h.writeBigUInt64LE(BigInt(mem.alloc(16, iov)), MSGHDR.IOV);
  h.writeBigUInt64LE(1n, MSGHDR.IOVLEN);
  h.writeBigUInt64LE(BigInt(control), MSGHDR.CONTROL);
  h.writeBigUInt64LE(BigInt(controlLen), MSGHDR.CONTROLLEN);
  const hp = mem.alloc(MSGHDR.SIZE, h);
  const n = call(t, 'recvmsg', fd, hp, flags);
  const out = mem.read(hp, MSGHDR.SIZE);
  const clen = Number(out.readBigUInt64LE(MSGHDR.CONTROLLEN));
  return {
    n, flags: out.readInt32LE(MSGHDR.FLAGS), data: len ? mem.read(buf, Math.min(n, len)) : Buffer.alloc(0),
    name: mem.read(name, out.readInt32LE(MSGHDR.NAMELEN)), control: clen ? mem.read(control, clen) : Buffer.alloc(0),
  };
}

describe('AF_NETLINK socket syscalls', () => {
  it('socket(): NETLINK_ROUTE raw or datagram; other types and protocols refused as Linux', () => {
    const { t } = setup();
    assert.ok(call(t, 'socket', AF.NETLINK, SOCK.RAW | SOCK.CLOEXEC, 0) >= 0);
    assert.ok(call(t, 'socket', AF.NETLINK, SOCK.DGRAM | SOCK.NONBLOCK, 0) >= 0);
    assert.equal(errnoOf(() => call(t, 'socket', AF.NETLINK, SOCK.STREAM, 0)), Errno.ESOCKTNOSUPPORT);
    assert.equal(errnoOf(() => call(t, 'socket', AF.NETLINK, SOCK.SEQPACKET, 0)), Errno.ESOCKTNOSUPPORT);
    assert.equal(errnoOf(() => call(t, 'socket', AF.NETLINK, SOCK.RAW, 15 /* NETLINK_KOBJECT_UEVENT */)), Errno.EPROTONOSUPPORT);
    assert.equal(errnoOf(() => call(t, 'socket', AF.NETLINK, SOCK.RAW, 32)), Errno.EPROTONOSUPPORT);
    assert.equal(errnoOf(() => call(t, 'socket', AF.NETLINK, SOCK.RAW | 0x100000, 0)), Errno.EINVAL);
    assert.equal(errnoOf(() => call(t, 'socketpair', AF.NETLINK, SOCK.RAW, 0, 0)), Errno.EOPNOTSUPP);
    const s = call(t, 'socket', AF.NETLINK, SOCK.RAW, 0);
    for (const [name, ...rest] of [['listen', 1], ['accept4', 0, 0, 0], ['shutdown', 2]] as [SyscallName, ...number[]][]) {
      assert.equal(errnoOf(() => call(t, name, s, ...rest)), Errno.EOPNOTSUPP, name);
    }
  });

  it('bind/getsockname: the pid as port id, groups kept; getpeername names the kernel; bad addresses EINVAL', () => {
    const { t, mem } = setup();
    const s = call(t, 'socket', AF.NETLINK, SOCK.RAW, 0);
    assert.deepEqual(nameOf(t, mem, s), { family: AF.NETLINK, pid: 0, groups: 0 });
    assert.equal(errnoOf(() => call(t, 'bind', s, snl(mem, 0), 8)), Errno.EINVAL);
    assert.equal(errnoOf(() => call(t, 'bind', s, snl(mem, 0, 0, AF.INET), 12)), Errno.EINVAL);
    assert.equal(call(t, 'bind', s, snl(mem, 0, 0x11), 12), 0);
    assert.deepEqual(nameOf(t, mem, s), { family: AF.NETLINK, pid: t.process.pid, groups: 0x11 });
    assert.deepEqual(nameOf(t, mem, s, 'getpeername'), { family: AF.NETLINK, pid: 0, groups: 0 });
    // A second socket of the same process gets a negative id (shown as u32), a named one that port.
    const s2 = call(t, 'socket', AF.NETLINK, SOCK.RAW, 0);
    call(t, 'connect', s2, snl(mem, 0), 12);
    assert.ok(nameOf(t, mem, s2).pid >= 2 ** 31);
    const s3 = call(t, 'socket', AF.NETLINK, SOCK.RAW, 0);
    assert.equal(errnoOf(() => call(t, 'bind', s3, snl(mem, t.process.pid), 12)), Errno.EADDRINUSE);
    assert.equal(call(t, 'bind', s3, snl(mem, 12345), 12), 0);
    assert.equal(nameOf(t, mem, s3).pid, 12345);
    // Only the kernel may be addressed (no CAP_NET_ADMIN in the sandbox).
    assert.equal(errnoOf(() => call(t, 'connect', s3, snl(mem, 12345), 12)), Errno.EPERM);
    assert.equal(errnoOf(() => call(t, 'connect', s3, snl(mem, 0, 1), 12)), Errno.EPERM);
    const msg = getlinkDump(1);
    assert.equal(errnoOf(() => call(t, 'sendto', s3, mem.alloc(msg.length, msg), msg.length, 0, snl(mem, 12345), 12)), Errno.EPERM);
    assert.equal(call(t, 'connect', s3, mem.alloc(2, Buffer.from([AF.UNSPEC, 0])), 2), 0);
  });

  it('a dump as iproute2 reads it: peek for the size, read it, then NLMSG_DONE; empty queue blocks or EAGAIN', () => {
    const { t, mem } = setup();
    const s = call(t, 'socket', AF.NETLINK, SOCK.RAW, 0);
    call(t, 'bind', s, snl(mem, 0), 12);
    assert.equal(readinessOf(t.process.fds.get(s)) & POLL.IN, 0);
    assert.equal(send(t, mem, s, getlinkDump(9)), 32);
    assert.equal(readinessOf(t.process.fds.get(s)) & POLL.IN, POLL.IN);
    const peek = recvmsg(t, mem, s, 0, MSG_FLAGS.PEEK | MSG_FLAGS.TRUNC);
    assert.equal(peek.flags, MSG_FLAGS.TRUNC);
    assert.deepEqual(peek.name, Buffer.from('100000000000000000000000', 'hex'));
    const full = recvmsg(t, mem, s, 32768);
    assert.equal(full.n, peek.n);
    const msgs = splitMessages(full.data);
    // This kernel has only lo.
    assert.deepEqual(msgs.map((m) => [m.type, m.flags, m.seq, m.pid]), [[RTM.NEWLINK, NLM_F.MULTI, 9, t.process.pid]]);
    // A short read of a datagram: cut, MSG_TRUNC, the rest lost.
    const done = recvmsg(t, mem, s, 8, MSG_FLAGS.TRUNC);
    assert.deepEqual([done.n, done.flags, done.data.readUInt32LE(0), done.data.readUInt16LE(4)], [20, MSG_FLAGS.TRUNC, 20, NLMSG.DONE]);
    assert.ok(blockOf(() => recvmsg(t, mem, s, 100)));
    assert.equal(errnoOf(() => recvmsg(t, mem, s, 100, MSG.DONTWAIT)), Errno.EAGAIN);
  });

  it('acks and errors: NLM_F_ACK gets error 0, a change EPERM echoing the request; write/read work too', () => {
    const { t, mem } = setup();
    const s = call(t, 'socket', AF.NETLINK, SOCK.DGRAM, 0);
    const addr = Buffer.alloc(IFADDRMSG.SIZE);
    addr[0] = AF.INET;
    const req = nlMessage(RTM.NEWADDR, NLM_F.REQUEST | NLM_F.ACK | NLM_F.DUMP, 5, 0, [addr]);
    const buf = mem.alloc(req.length, req);
    assert.equal(call(t, 'write', s, buf, req.length), req.length);
    const out = mem.alloc(256);
    const n = call(t, 'read', s, out, 256);
    const e = splitMessages(mem.read(out, n))[0];
    assert.deepEqual([e.type, e.flags, e.seq, e.payload.readInt32LE(0)], [NLMSG.ERROR, 0, 5, -Errno.EPERM]);
    assert.deepEqual(e.payload.subarray(4), req);
    // Not a request (no NLM_F_REQUEST) but NLM_F_ACK: acked, nothing done.
    send(t, mem, s, nlMessage(RTM.GETLINK, NLM_F.ACK, 6, 0, [Buffer.alloc(16)]));
    const ack = splitMessages(recvmsg(t, mem, s, 256).data)[0];
    assert.deepEqual([ack.type, ack.flags, ack.seq, ack.payload.readInt32LE(0), ack.payload.length], [NLMSG.ERROR, NLM_F.CAPPED, 6, 0, 20]);
  });

  it('options: buffer sizes doubled, SOL_NETLINK flags, memberships, privileged ones EPERM; control messages', () => {
    const { t, mem } = setup();
    const s = call(t, 'socket', AF.NETLINK, SOCK.RAW, 0);
    call(t, 'setsockopt', s, SOL_SOCKET, SO.RCVBUF, intOpt(mem, 1 << 20), 4);
    assert.equal(getInt(t, mem, s, SOL_SOCKET, SO.RCVBUF), 425984);
    assert.equal(getInt(t, mem, s, SOL_SOCKET, SO.TYPE), SOCK.RAW);
    assert.equal(getInt(t, mem, s, SOL_SOCKET, SO.DOMAIN), AF.NETLINK);
    assert.equal(errnoOf(() => call(t, 'setsockopt', s, SOL_SOCKET, SO.RCVBUFFORCE, intOpt(mem, 1 << 20), 4)), Errno.EPERM);
    for (const o of [NETLINK_OPT.EXT_ACK, NETLINK_OPT.GET_STRICT_CHK, NETLINK_OPT.CAP_ACK]) {
      assert.equal(getInt(t, mem, s, SOL_NETLINK, o), 0);
      call(t, 'setsockopt', s, SOL_NETLINK, o, intOpt(mem, 1), 4);
      assert.equal(getInt(t, mem, s, SOL_NETLINK, o), 1);
    }
    assert.equal(errnoOf(() => call(t, 'getsockopt', s, SOL_NETLINK, NETLINK_OPT.EXT_ACK, mem.alloc(4), mem.alloc(4, Buffer.from([2, 0, 0, 0])))), Errno.EINVAL);
    assert.equal(errnoOf(() => call(t, 'setsockopt', s, SOL_NETLINK, NETLINK_OPT.LISTEN_ALL_NSID, intOpt(mem, 1), 4)), Errno.EPERM);
    assert.equal(errnoOf(() => call(t, 'setsockopt', s, SOL_NETLINK, 99, intOpt(mem, 1), 4)), Errno.ENOPROTOOPT);
    assert.equal(errnoOf(() => call(t, 'setsockopt', s, 0 /* SOL_IP */, 1, intOpt(mem, 1), 4)), Errno.ENOPROTOOPT);
    assert.equal(errnoOf(() => call(t, 'setsockopt', s, SOL_NETLINK, NETLINK_OPT.ADD_MEMBERSHIP, intOpt(mem, 0), 4)), Errno.EINVAL);
    call(t, 'setsockopt', s, SOL_NETLINK, NETLINK_OPT.ADD_MEMBERSHIP, intOpt(mem, 1), 4);
    call(t, 'setsockopt', s, SOL_NETLINK, NETLINK_OPT.ADD_MEMBERSHIP, intOpt(mem, 33), 4);
    const list = getOpt(t, mem, s, SOL_NETLINK, NETLINK_OPT.LIST_MEMBERSHIPS, 16);
    assert.deepEqual([list.len, list.value.toString('hex')], [8, '0100000001000000']);
    // Too little room: the words that fit, and the length needed.
    const short = getOpt(t, mem, s, SOL_NETLINK, NETLINK_OPT.LIST_MEMBERSHIPS, 6);
    assert.deepEqual([short.len, short.value.subarray(0, 4).toString('hex')], [8, '01000000']);
    assert.equal(nameOf(t, mem, s).groups, 1);
    // NETLINK_PKTINFO (group 0) then SCM_CREDENTIALS (the kernel: all zero).
    call(t, 'setsockopt', s, SOL_NETLINK, NETLINK_OPT.PKTINFO, intOpt(mem, 1), 4);
    call(t, 'setsockopt', s, SOL_SOCKET, SO.PASSCRED, intOpt(mem, 1), 4);
    send(t, mem, s, getlinkDump(3));
    const r = recvmsg(t, mem, s, 32768, 0, 64);
    const cmsg = (off: number) => [r.control.readUInt32LE(off + 8), r.control.readUInt32LE(off + 12), r.control.readBigUInt64LE(off)];
    assert.deepEqual([cmsg(0), cmsg(24)], [[SOL_NETLINK, NETLINK_OPT.PKTINFO, 20n], [SOL_SOCKET, SCM_CREDENTIALS, 28n]]);
    assert.deepEqual(r.control.subarray(40, 52), Buffer.alloc(12));
  });
});
