import assert from 'node:assert/strict';
import { Errno } from '../abi/linux/errno';
import { AT_FDCWD, O, S_IFMT, S_IFSOCK } from '../abi/linux/fs';
import { POLL } from '../abi/linux/poll';
import { MSG, MSGHDR, SCM_RIGHTS, SOL_SOCKET } from '../abi/linux/scm';
import { AF, MSG_FLAGS, SCM_CREDENTIALS, SHUT, SIOCINQ, SO, SOCK } from '../abi/linux/socket';
import { SyscallName } from '../abi/linux/syscalls';
import { Credentials } from '../kernel/creds';
import { defaultLimits } from '../kernel/limits';
import { Process, Task } from '../kernel/task';
import { MemoryManager } from '../mm/mm';
import { FdTable } from '../vfs/fdtable';
import { FsContext } from '../vfs/fscontext';
import { buildRootVfs } from '../vfs/mounts';
import { blockOf, callRow, errnoOf, FakeGofer, FakeMemory, makeTask } from '../vfs/testkit';
import { mapTestMemory } from '../testing/fakes';
import { fsRows } from './fs';
import { socketRows } from './socket';

const rows = { ...fsRows, ...socketRows };

interface World {
  a: Task;
  b: Task;
  mem: FakeMemory;
}

/** Two processes (pid 1 uid 0, pid 2 uid 1000) on one kernel, sharing fake memory. */
function world(): World {
  const gofer = new FakeGofer();
  const { task: a, mem, kernel } = makeTask((k) => buildRootVfs({ gofer, overlay: 'memory', kernel: k, host: { cpuinfo: '', memTotalKb: 1 } }));
  const creds = new Credentials(1000, 100);
  const p = new Process(kernel, 2, 1, new MemoryManager(a.ctx.as, mem, 0x7ffffffff000), new FdTable(), new FsContext(), creds, defaultLimits());
  mapTestMemory(p.mm);
  kernel.processes.set(2, p);
  const b = new Task(kernel, 2, p, a.ctx);
  kernel.tasks.set(2, b);
  return { a, b, mem };
}

function call(t: Task, name: SyscallName, ...v: (number | bigint)[]): number {
  return callRow(rows, t, name, ...v);
}

function sun(mem: FakeMemory, name: string | Buffer): { addr: number; len: number } {
  const raw = typeof name === 'string' ? Buffer.from(`${name}\0`) : name;
  const b = Buffer.alloc(2 + raw.length);
  b.writeUInt16LE(AF.UNIX, 0);
  raw.copy(b, 2);
  return { addr: mem.alloc(b.length, b), len: typeof name === 'string' ? b.length : b.length };
}

function pair(w: World, t: Task, type: number): [number, number] {
  const sv = w.mem.alloc(8);
  assert.equal(call(t, 'socketpair', AF.UNIX, type, 0, sv), 0);
  const b = w.mem.read(sv, 8);
  return [b.readInt32LE(0), b.readInt32LE(4)];
}

function send(w: World, t: Task, fd: number, s: string, flags = 0): number {
  return call(t, 'sendto', fd, w.mem.alloc(s.length, Buffer.from(s)), s.length, flags, 0, 0);
}

function recv(w: World, t: Task, fd: number, len: number, flags = 0): string {
  const buf = w.mem.alloc(len);
  const n = call(t, 'recvfrom', fd, buf, len, flags, 0, 0);
  return w.mem.read(buf, Math.min(n, len)).toString();
}

/** getsockname/getpeername into a 128-byte buffer: [addrlen, sun_path bytes]. */
function nameOf(w: World, t: Task, which: 'getsockname' | 'getpeername', fd: number): [number, Buffer] {
  const addr = w.mem.alloc(128);
  const len = w.mem.alloc(4, Buffer.from([128, 0, 0, 0]));
  call(t, which, fd, addr, len);
  const n = w.mem.read(len, 4).readInt32LE(0);
  return [n, w.mem.read(addr + 2, Math.max(0, n - 2))];
}

/** A msghdr with one iovec and a control buffer. */
function msghdr(mem: FakeMemory, data: Buffer, control: Buffer | number): { msg: number; buf: number; ctl: number } {
  const buf = mem.alloc(Math.max(data.length, 1), data);
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(BigInt(buf), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  const ctlLen = typeof control === 'number' ? control : control.length;
  const ctl = mem.alloc(Math.max(ctlLen, 1), typeof control === 'number' ? undefined : control);
  const h = Buffer.alloc(MSGHDR.SIZE);
  h.writeBigUInt64LE(BigInt(mem.alloc(16, iov)), MSGHDR.IOV);
  h.writeBigUInt64LE(1n, MSGHDR.IOVLEN);
  h.writeBigUInt64LE(BigInt(ctlLen === 0 ? 0 : ctl), MSGHDR.CONTROL);
  h.writeBigUInt64LE(BigInt(ctlLen), MSGHDR.CONTROLLEN);
  return { msg: mem.alloc(MSGHDR.SIZE, h), buf, ctl };
}

function cmsg(level: number, type: number, data: Buffer): Buffer {
  const b = Buffer.alloc(16 + ((data.length + 7) & ~7));
  b.writeBigUInt64LE(BigInt(16 + data.length), 0);
  b.writeInt32LE(level, 8);
  b.writeInt32LE(type, 12);
  data.copy(b, 16);
  return b;
}

function ints(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => b.writeInt32LE(x, i * 4));
  return b;
}

describe('unix sockets', () => {
  it('socket() checks family, type and protocol like Linux', () => {
    const w = world();
    assert.equal(errnoOf(() => call(w.a, 'socket', AF.INET6, SOCK.STREAM, 0)), Errno.EAFNOSUPPORT);
    assert.equal(errnoOf(() => call(w.a, 'socket', AF.PACKET, SOCK.DGRAM, 0)), Errno.EAFNOSUPPORT);
    assert.equal(errnoOf(() => call(w.a, 'socket', 99, SOCK.STREAM, 0)), Errno.EAFNOSUPPORT);
    assert.equal(errnoOf(() => call(w.a, 'socket', AF.UNIX, SOCK.STREAM | 0x100000, 0)), Errno.EINVAL);
    assert.equal(errnoOf(() => call(w.a, 'socket', AF.UNIX, 4, 0)), Errno.ESOCKTNOSUPPORT);
    assert.equal(errnoOf(() => call(w.a, 'socket', AF.UNIX, SOCK.STREAM, 6)), Errno.EPROTONOSUPPORT);
    const fd = call(w.a, 'socket', AF.UNIX, SOCK.STREAM | SOCK.NONBLOCK | SOCK.CLOEXEC, 0);
    assert.equal(call(w.a, 'fcntl', fd, 1 /* F_GETFD */), 1);
    assert.equal(call(w.a, 'fcntl', fd, 3 /* F_GETFL */), O.RDWR | O.NONBLOCK);
    const f = w.a.process.fds.get(fd);
    assert.equal(f.stat().mode & S_IFMT, S_IFSOCK);
    assert.match(f.path, /^socket:\[\d+\]$/);
    assert.equal(errnoOf(() => call(w.a, 'lseek', fd, 0, 0)), Errno.ESPIPE);
  });

  it('stream socketpair keeps byte order across sends and read/write', () => {
    const w = world();
    const [x, y] = pair(w, w.a, SOCK.STREAM);
    assert.equal(send(w, w.a, x, 'hello '), 6);
    assert.equal(call(w.a, 'write', x, w.mem.alloc(5, Buffer.from('world')), 5), 5);
    const n = w.mem.alloc(4);
    call(w.a, 'ioctl', y, SIOCINQ, n);
    assert.equal(w.mem.read(n, 4).readInt32LE(0), 11);
    assert.equal(recv(w, w.a, y, 3, MSG_FLAGS.PEEK), 'hel');
    assert.equal(recv(w, w.a, y, 8), 'hello wo');
    const buf = w.mem.alloc(16);
    assert.equal(call(w.a, 'read', y, buf, 16), 3);
    assert.equal(w.mem.read(buf, 3).toString(), 'rld');
    assert.equal(errnoOf(() => recv(w, w.a, y, 4, MSG.DONTWAIT)), Errno.EAGAIN);
    const [pn] = nameOf(w, w.a, 'getpeername', x);
    assert.equal(pn, 2, 'unbound peer: only sun_family');
  });

  it('a blocked recv parks on the wait queue and completes after a send', () => {
    const w = world();
    const [x, y] = pair(w, w.a, SOCK.STREAM);
    const buf = w.mem.alloc(8);
    const blk = blockOf(() => call(w.a, 'recvfrom', y, buf, 8, 0, 0, 0));
    assert.equal(blk.interrupt, 'restart');
    assert.equal(blk.deadlineNs, undefined);
    let woken = 0;
    blk.queues[0].add(() => woken++);
    send(w, w.a, x, 'ping');
    assert.ok(woken > 0);
    assert.equal(call(w.a, 'recvfrom', y, buf, 8, 0, 0, 0), 4);
    // SO_RCVTIMEO: a deadline, EAGAIN on timeout, and no restart after a handler.
    const tv = Buffer.alloc(16);
    tv.writeBigInt64LE(1n, 0);
    call(w.a, 'setsockopt', y, SOL_SOCKET, SO.RCVTIMEO, w.mem.alloc(16, tv), 16);
    const timed = blockOf(() => call(w.a, 'recvfrom', y, buf, 8, 0, 0, 0));
    assert.equal(timed.interrupt, 'eintr');
    assert.deepEqual(timed.onTimeout, { errno: Errno.EAGAIN });
    assert.ok(timed.deadlineNs !== undefined);
  });

  it('datagrams keep boundaries; MSG_TRUNC; recvfrom names a bound sender', () => {
    const w = world();
    const s = call(w.a, 'socket', AF.UNIX, SOCK.DGRAM, 0);
    const r = call(w.b, 'socket', AF.UNIX, SOCK.DGRAM, 0);
    const ra = sun(w.mem, Buffer.from('\0rx'));
    assert.equal(call(w.b, 'bind', r, ra.addr, ra.len), 0);
    const dst = sun(w.mem, Buffer.from('\0rx'));
    assert.equal(call(w.a, 'sendto', s, w.mem.alloc(5, Buffer.from('first')), 5, 0, dst.addr, dst.len), 5);
    assert.equal(call(w.a, 'sendto', s, w.mem.alloc(6, Buffer.from('second')), 6, 0, dst.addr, dst.len), 6);
    assert.equal(call(w.a, 'sendto', s, 0, 0, 0, dst.addr, dst.len), 0);
    const from = w.mem.alloc(128);
    const fromLen = w.mem.alloc(4, ints(128));
    const buf = w.mem.alloc(16);
    assert.equal(call(w.b, 'recvfrom', r, buf, 3, 0, from, fromLen), 3, 'truncated to the buffer');
    assert.equal(w.mem.read(fromLen, 4).readInt32LE(0), 0, 'unbound sender: no address');
    assert.equal(call(w.b, 'recvfrom', r, buf, 2, MSG_FLAGS.TRUNC, 0, 0), 6, 'MSG_TRUNC gives the real length');
    assert.equal(call(w.b, 'recvfrom', r, buf, 16, 0, 0, 0), 0, 'an empty datagram');
    assert.equal(errnoOf(() => call(w.b, 'recvfrom', r, buf, 16, MSG.DONTWAIT, 0, 0)), Errno.EAGAIN);
    const sa = sun(w.mem, Buffer.from('\0tx'));
    call(w.a, 'bind', s, sa.addr, sa.len);
    call(w.a, 'sendto', s, buf, 1, 0, dst.addr, dst.len);
    w.mem.write(fromLen, ints(128));
    call(w.b, 'recvfrom', r, buf, 16, 0, from, fromLen);
    assert.equal(w.mem.read(fromLen, 4).readInt32LE(0), 5);
    assert.deepEqual(w.mem.read(from + 2, 3), Buffer.from('\0tx'));
    // Abstract names are unique; a second bind of the same name fails.
    const other = call(w.a, 'socket', AF.UNIX, SOCK.DGRAM, 0);
    assert.equal(errnoOf(() => call(w.a, 'bind', other, ra.addr, ra.len)), Errno.EADDRINUSE);
    assert.equal(errnoOf(() => call(w.a, 'bind', s, ra.addr, ra.len)), Errno.EINVAL, 'already bound');
    const gone = sun(w.mem, Buffer.from('\0nobody'));
    assert.equal(errnoOf(() => call(w.a, 'sendto', s, buf, 1, 0, gone.addr, gone.len)), Errno.ECONNREFUSED);
    assert.equal(errnoOf(() => call(w.a, 'sendto', s, buf, 1, 0, 0, 0)), Errno.ENOTCONN);
    // Closing frees the name.
    call(w.b, 'close', r);
    assert.equal(call(w.a, 'bind', other, ra.addr, ra.len), 0);
  });

  it('path bind, listen, connect, accept; names and peer credentials', () => {
    const w = world();
    const l = call(w.a, 'socket', AF.UNIX, SOCK.SEQPACKET, 0);
    const path = sun(w.mem, '/tmp/sock');
    w.a.process.fs.umask = 0o002;
    assert.equal(call(w.a, 'bind', l, path.addr, path.len), 0);
    const st = w.a.kernel.vfs.statAt(w.a, AT_FDCWD, '/tmp/sock', 0);
    assert.equal(st.mode & S_IFMT, S_IFSOCK);
    assert.equal(st.mode & 0o777, 0o775, '0777 & ~umask');
    const stranger = call(w.b, 'socket', AF.UNIX, SOCK.SEQPACKET, 0);
    assert.equal(errnoOf(() => call(w.b, 'connect', stranger, path.addr, path.len)), Errno.EACCES, 'connect needs write permission');
    w.a.kernel.vfs.setattr(w.a, w.a.kernel.vfs.locAt(w.a, AT_FDCWD, '/tmp/sock', 0), { mode: 0o777 });
    assert.equal(errnoOf(() => call(w.a, 'openat', AT_FDCWD, w.mem.str('/tmp/sock'), O.RDONLY, 0)), Errno.ENXIO);
    const again = call(w.a, 'socket', AF.UNIX, SOCK.SEQPACKET, 0);
    assert.equal(errnoOf(() => call(w.a, 'bind', again, path.addr, path.len)), Errno.EADDRINUSE);
    const c = call(w.b, 'socket', AF.UNIX, SOCK.SEQPACKET, 0);
    assert.equal(errnoOf(() => call(w.b, 'connect', c, path.addr, path.len)), Errno.ECONNREFUSED, 'not listening yet');
    assert.equal(call(w.a, 'listen', l, 0), 0);
    assert.equal(call(w.a, 'getsockopt', l, SOL_SOCKET, SO.ACCEPTCONN, w.mem.alloc(4), w.mem.alloc(4, ints(4))), 0);
    assert.equal(call(w.b, 'connect', c, path.addr, path.len), 0);
    // Backlog 0 admits one pending connection; the next waits (EAGAIN when non-blocking).
    const c2 = call(w.b, 'socket', AF.UNIX, SOCK.SEQPACKET | SOCK.NONBLOCK, 0);
    assert.equal(errnoOf(() => call(w.b, 'connect', c2, path.addr, path.len)), Errno.EAGAIN);
    const stream = call(w.b, 'socket', AF.UNIX, SOCK.STREAM, 0);
    assert.equal(errnoOf(() => call(w.b, 'connect', stream, path.addr, path.len)), Errno.EPROTOTYPE);
    assert.ok((w.a.process.fds.get(l).readiness?.() ?? 0) & POLL.IN);
    const peerAddr = w.mem.alloc(128);
    const peerLen = w.mem.alloc(4, ints(128));
    const s = call(w.a, 'accept4', l, peerAddr, peerLen, SOCK.CLOEXEC);
    assert.equal(w.mem.read(peerLen, 4).readInt32LE(0), 2, 'unbound client');
    assert.equal(call(w.a, 'fcntl', s, 1), 1);
    const [ln, lname] = nameOf(w, w.a, 'getsockname', s);
    assert.equal(ln, 2 + '/tmp/sock'.length + 1);
    assert.equal(lname.toString(), '/tmp/sock\0');
    assert.equal(nameOf(w, w.b, 'getpeername', c)[1].toString(), '/tmp/sock\0');
    assert.equal(nameOf(w, w.b, 'getsockname', c)[0], 2);
    assert.equal(errnoOf(() => call(w.a, 'getpeername', l, peerAddr, peerLen)), Errno.ENOTCONN);
    // SO_PEERCRED: each side sees the other's pid, euid, egid.
    const cred = w.mem.alloc(12);
    const credLen = w.mem.alloc(4, ints(12));
    call(w.a, 'getsockopt', s, SOL_SOCKET, SO.PEERCRED, cred, credLen);
    assert.deepEqual([0, 4, 8].map((o) => w.mem.read(cred + o, 4).readInt32LE(0)), [2, 1000, 100]);
    call(w.b, 'getsockopt', c, SOL_SOCKET, SO.PEERCRED, cred, credLen);
    assert.deepEqual([0, 4, 8].map((o) => w.mem.read(cred + o, 4).readInt32LE(0)), [1, 0, 0]);
    // Seqpacket keeps boundaries and truncates.
    send(w, w.b, c, 'abc');
    send(w, w.b, c, 'defgh');
    assert.equal(recv(w, w.a, s, 2), 'ab');
    assert.equal(recv(w, w.a, s, 10), 'defgh');
    assert.ok(blockOf(() => call(w.a, 'accept', l, 0, 0)).queues.length > 0, 'no pending connection: accept waits');
  });

  it('SCM_RIGHTS passes descriptions with references; too small a buffer drops them with MSG_CTRUNC', () => {
    const w = world();
    const [x, y] = pair(w, w.a, SOCK.DGRAM);
    const file = call(w.a, 'openat', AT_FDCWD, w.mem.str('/tmp/f'), O.CREAT | O.RDWR, 0o644);
    call(w.a, 'write', file, w.mem.alloc(2, Buffer.from('ok')), 2);
    let released = 0;
    const desc = w.a.process.fds.get(file);
    const decRef = desc.decRef.bind(desc);
    desc.decRef = () => {
      released++;
      decRef();
    };
    const m = msghdr(w.mem, Buffer.from('x'), cmsg(SOL_SOCKET, SCM_RIGHTS, ints(file, file)));
    assert.equal(call(w.a, 'sendmsg', x, m.msg, 0), 1);
    call(w.a, 'close', file);
    assert.equal(released, 1, 'the sender closed its fd; the message still holds two references');
    const r = msghdr(w.mem, Buffer.alloc(4), 64);
    assert.equal(call(w.a, 'recvmsg', y, r.msg, MSG.CMSG_CLOEXEC), 1);
    const h = w.mem.read(r.msg, MSGHDR.SIZE);
    assert.equal(Number(h.readBigUInt64LE(MSGHDR.CONTROLLEN)), 24);
    assert.equal(h.readInt32LE(MSGHDR.FLAGS), 0);
    const c = w.mem.read(r.ctl, 24);
    assert.equal(Number(c.readBigUInt64LE(0)), 24);
    assert.deepEqual([c.readInt32LE(8), c.readInt32LE(12)], [SOL_SOCKET, SCM_RIGHTS]);
    const [f1, f2] = [c.readInt32LE(16), c.readInt32LE(20)];
    assert.equal(w.a.process.fds.get(f1), desc);
    assert.equal(call(w.a, 'fcntl', f2, 1), 1, 'MSG_CMSG_CLOEXEC');
    const buf = w.mem.alloc(4);
    assert.equal(call(w.a, 'pread64', f1, buf, 2, 0), 2);
    // Room for one fd only: the second is dropped (its reference released) with MSG_CTRUNC.
    const m2 = msghdr(w.mem, Buffer.from('y'), cmsg(SOL_SOCKET, SCM_RIGHTS, ints(f1, f2)));
    call(w.a, 'sendmsg', x, m2.msg, 0);
    const before = released;
    const r2 = msghdr(w.mem, Buffer.alloc(4), 20);
    call(w.a, 'recvmsg', y, r2.msg, 0);
    const h2 = w.mem.read(r2.msg, MSGHDR.SIZE);
    assert.equal(h2.readInt32LE(MSGHDR.FLAGS), MSG.CTRUNC);
    assert.equal(Number(h2.readBigUInt64LE(MSGHDR.CONTROLLEN)), 20);
    assert.equal(released, before + 1);
    // A closed socket releases the descriptions still queued in it.
    call(w.a, 'sendmsg', x, m2.msg, 0);
    const queued = released;
    call(w.a, 'close', y);
    assert.equal(released, queued + 2);
    assert.equal(errnoOf(() => call(w.a, 'sendmsg', x, msghdr(w.mem, Buffer.from('z'), cmsg(SOL_SOCKET, SCM_RIGHTS, ints(77))).msg, 0)), Errno.EBADF);
  });

  it('SCM_CREDENTIALS with SO_PASSCRED, and forged credentials are EPERM', () => {
    const w = world();
    const [x, y] = pair(w, w.b, SOCK.STREAM);
    call(w.b, 'setsockopt', y, SOL_SOCKET, SO.PASSCRED, w.mem.alloc(4, ints(1)), 4);
    send(w, w.b, x, 'hi');
    const r = msghdr(w.mem, Buffer.alloc(4), 64);
    assert.equal(call(w.b, 'recvmsg', y, r.msg, 0), 2);
    const c = w.mem.read(r.ctl, 28);
    assert.deepEqual([c.readInt32LE(8), c.readInt32LE(12)], [SOL_SOCKET, SCM_CREDENTIALS]);
    assert.deepEqual([c.readInt32LE(16), c.readInt32LE(20), c.readInt32LE(24)], [2, 1000, 100]);
    const forged = msghdr(w.mem, Buffer.from('x'), cmsg(SOL_SOCKET, SCM_CREDENTIALS, ints(1, 0, 0)));
    assert.equal(errnoOf(() => call(w.b, 'sendmsg', x, forged.msg, 0)), Errno.EPERM);
  });

  it('shutdown gives EOF and EPIPE; a closed peer raises SIGPIPE unless MSG_NOSIGNAL', () => {
    const w = world();
    const [x, y] = pair(w, w.b, SOCK.STREAM);
    send(w, w.b, x, 'last');
    call(w.b, 'shutdown', x, SHUT.WR);
    assert.equal(recv(w, w.b, y, 8), 'last');
    assert.equal(recv(w, w.b, y, 8), '', 'EOF after the data');
    const ry = w.b.process.fds.get(y).readiness?.() ?? 0;
    assert.equal(ry & (POLL.IN | POLL.RDHUP | POLL.HUP), POLL.IN | POLL.RDHUP);
    assert.equal(errnoOf(() => send(w, w.b, x, 'more', MSG.NOSIGNAL)), Errno.EPIPE);
    assert.equal(errnoOf(() => call(w.b, 'shutdown', x, 3)), Errno.EINVAL);
    const [p, q] = pair(w, w.b, SOCK.STREAM);
    send(w, w.b, q, 'unread');
    call(w.b, 'close', q);
    assert.equal(recv(w, w.b, p, 8), 'unread'.slice(0, 6));
    assert.equal(recv(w, w.b, p, 8), '', 'the peer closed: EOF');
    assert.equal(errnoOf(() => send(w, w.b, p, 'x', MSG.NOSIGNAL)), Errno.EPIPE);
    assert.equal(w.b.process.exitStatus, undefined);
    assert.equal(errnoOf(() => send(w, w.b, p, 'x')), Errno.EPIPE);
    assert.equal(w.b.process.exitStatus, 13, 'killed by the default SIGPIPE action');
  });

  it('closing with unread data resets the peer (ECONNRESET once)', () => {
    const w = world();
    const [x, y] = pair(w, w.a, SOCK.STREAM);
    send(w, w.a, x, 'never read');
    call(w.a, 'close', y);
    assert.equal(errnoOf(() => recv(w, w.a, x, 4)), Errno.ECONNRESET);
    assert.equal(recv(w, w.a, x, 4), '');
  });

  it('getsockopt/setsockopt values and lengths', () => {
    const w = world();
    const fd = call(w.a, 'socket', AF.UNIX, SOCK.DGRAM, 0);
    const v = w.mem.alloc(16);
    const len = w.mem.alloc(4, ints(4));
    const get = (name: number): number => {
      w.mem.write(len, ints(4));
      call(w.a, 'getsockopt', fd, SOL_SOCKET, name, v, len);
      return w.mem.read(v, 4).readInt32LE(0);
    };
    assert.equal(get(SO.TYPE), SOCK.DGRAM);
    assert.equal(get(SO.DOMAIN), AF.UNIX);
    assert.equal(get(SO.SNDBUF), 212992);
    call(w.a, 'setsockopt', fd, SOL_SOCKET, SO.SNDBUF, w.mem.alloc(4, ints(10000)), 4);
    assert.equal(get(SO.SNDBUF), 20000, 'doubled');
    call(w.a, 'setsockopt', fd, SOL_SOCKET, SO.RCVBUF, w.mem.alloc(4, ints(1)), 4);
    assert.equal(get(SO.RCVBUF), 2304, 'floored');
    assert.equal(get(SO.ERROR), 0);
    w.mem.write(len, ints(2));
    call(w.a, 'getsockopt', fd, SOL_SOCKET, SO.PEERCRED, v, len);
    assert.equal(w.mem.read(len, 4).readInt32LE(0), 2, 'cut to the caller length');
    assert.equal(errnoOf(() => call(w.a, 'getsockopt', fd, SOL_SOCKET, 999, v, len)), Errno.ENOPROTOOPT);
    assert.equal(errnoOf(() => call(w.a, 'getsockopt', fd, 6 /* SOL_TCP */, 1, v, len)), Errno.EOPNOTSUPP);
    assert.equal(errnoOf(() => call(w.a, 'setsockopt', fd, SOL_SOCKET, SO.PASSCRED, v, 2)), Errno.EINVAL);
    assert.equal(errnoOf(() => call(w.a, 'getsockopt', 0 + call(w.a, 'openat', AT_FDCWD, w.mem.str('/tmp/r'), O.CREAT | O.RDWR, 0o600), SOL_SOCKET, SO.TYPE, v, len)), Errno.ENOTSOCK);
  });
});
