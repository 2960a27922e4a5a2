/**
 * AF_INET socket syscalls in `host` network mode: real host sockets on
 * this process's loopback, driven through the syscall handlers (the
 * argument checks of socket-inet.ts, the host calls of hostinet.ts, the
 * wait model of hostwait.ts).
 */
import assert from 'node:assert/strict';
import { Errno } from '../abi/linux/errno';
import { IP, IPPROTO, SOL_IP, SOL_TCP, TCP } from '../abi/linux/inet';
import { POLL } from '../abi/linux/poll';
import { MSG, SOL_SOCKET } from '../abi/linux/scm';
import { AF, MSG_FLAGS, SIOCINQ, SO, SOCK } from '../abi/linux/socket';
import type { SyscallName } from '../abi/linux/syscalls';
import { HostInetSocket } from '../fsimpl/socket/hostinet';
import { hostWaiters } from '../kernel/hostwait';
import type { Task } from '../kernel/task';
import { hostPoll } from '../platform/host/hostfd';
import { buildRootVfs } from '../vfs/mounts';
import { blockOf, callRow, errnoOf, FakeGofer, FakeMemory, makeTask } from '../vfs/testkit';
import { fsRows } from './fs';
import { socketRows } from './socket';

const rows = { ...fsRows, ...socketRows };

const tasks: Task[] = [];

function setup(): { t: Task; mem: FakeMemory } {
  const gofer = new FakeGofer();
  const { task, mem, kernel } = makeTask((k) => buildRootVfs({ gofer, overlay: 'memory', kernel: k, host: { cpuinfo: '', memTotalKb: 1 } }));
  kernel.opts.network = { mode: 'host' };
  tasks.push(task);
  return { t: task, mem };
}


function call(t: Task, name: SyscallName, ...v: (number | bigint)[]): number {
  return callRow(rows, t, name, ...v);
}

function sin(mem: FakeMemory, port: number, addr = 0x7f000001): number {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF.INET, 0);
  b.writeUInt16BE(port, 2);
  b.writeUInt32BE(addr, 4);
  return mem.alloc(16, b);
}

function portOf(t: Task, mem: FakeMemory, fd: number): number {
  const addr = mem.alloc(16);
  call(t, 'getsockname', fd, addr, mem.alloc(4, Buffer.from([16, 0, 0, 0])));
  return mem.read(addr, 16).readUInt16BE(2);
}

function intAt(mem: FakeMemory, v: number): number {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return mem.alloc(4, b);
}

function getInt(t: Task, mem: FakeMemory, fd: number, level: number, name: number): number {
  const v = mem.alloc(4);
  call(t, 'getsockopt', fd, level, name, v, mem.alloc(4, Buffer.from([4, 0, 0, 0])));
  return mem.read(v, 4).readInt32LE(0);
}

/** Runs what the scheduler does while tasks wait: poll the watched host fds, notify the ready ones. */
function pollWaiters(timeoutMs: number): void {
  const watched = [...hostWaiters].filter((w) => w.queue.size > 0);
  const revents = hostPoll(watched, timeoutMs);
  watched.forEach((w, i) => revents[i] !== 0 && w.queue.notify());
}

/** A connected pair on loopback: the listener, the client and the accepted end. */
function pair(t: Task, mem: FakeMemory): { l: number; c: number; s: number } {
  const l = call(t, 'socket', AF.INET, SOCK.STREAM, 0);
  call(t, 'bind', l, sin(mem, 0), 16);
  call(t, 'listen', l, 4);
  const c = call(t, 'socket', AF.INET, SOCK.STREAM, 0);
  const to = sin(mem, portOf(t, mem, l));
  try {
    call(t, 'connect', c, to, 16);
  } catch {
    pollWaiters(1000);
    call(t, 'connect', c, to, 16);
  }
  return { l, c, s: call(t, 'accept4', l, 0, 0, 0) };
}

describe('AF_INET socket syscalls with --network=host', () => {
  // Closes every socket a test made (host fds, and their waiters, are process-wide).
  afterEach(() => {
    for (const t of tasks.splice(0)) for (const [fd] of t.process.fds.list()) t.process.fds.close(fd);
  });

  it('socket() makes host sockets after the same checks as the sandbox stack', () => {
    const { t, mem } = setup();
    const fd = call(t, 'socket', AF.INET, SOCK.STREAM, 0);
    assert.ok(t.process.fds.get(fd) instanceof HostInetSocket);
    assert.equal(getInt(t, mem, fd, SOL_SOCKET, SO.DOMAIN), AF.INET);
    assert.equal(getInt(t, mem, fd, SOL_SOCKET, SO.PROTOCOL), IPPROTO.TCP);
    assert.equal(getInt(t, mem, call(t, 'socket', AF.INET, SOCK.DGRAM, 0), SOL_SOCKET, SO.TYPE), SOCK.DGRAM);
    assert.equal(errnoOf(() => call(t, 'socket', AF.INET, SOCK.STREAM, IPPROTO.UDP)), Errno.EPROTONOSUPPORT);
    assert.equal(errnoOf(() => call(t, 'socket', AF.INET, SOCK.RAW, IPPROTO.ICMP)), Errno.EPERM);
    assert.equal(errnoOf(() => call(t, 'socket', AF.INET, SOCK.STREAM | 0x100000, 0)), Errno.EINVAL);
  });

  it('short or foreign addresses are EINVAL/EAFNOSUPPORT; unknown options ENOPROTOOPT; options reach the host', () => {
    const { t, mem } = setup();
    const c = call(t, 'socket', AF.INET, SOCK.STREAM, 0);
    assert.equal(errnoOf(() => call(t, 'bind', c, sin(mem, 0), 8)), Errno.EINVAL);
    assert.equal(errnoOf(() => call(t, 'connect', c, sin(mem, 1), 15)), Errno.EINVAL);
    assert.equal(errnoOf(() => call(t, 'bind', c, mem.alloc(28, Buffer.from([AF.INET6, 0])), 28)), Errno.EAFNOSUPPORT);
    assert.equal(errnoOf(() => call(t, 'setsockopt', c, SOL_SOCKET, 99, intAt(mem, 1), 4)), Errno.ENOPROTOOPT);
    assert.equal(errnoOf(() => call(t, 'getsockopt', c, SOL_TCP, 11 /* TCP_INFO: not passed */, mem.alloc(4), mem.alloc(4, Buffer.from([4, 0, 0, 0])))), Errno.ENOPROTOOPT);
    assert.equal(errnoOf(() => call(t, 'setsockopt', c, SOL_TCP, TCP.NODELAY, intAt(mem, 1), 2)), Errno.EINVAL);
    call(t, 'setsockopt', c, SOL_TCP, TCP.NODELAY, intAt(mem, 1), 4);
    assert.equal(getInt(t, mem, c, SOL_TCP, TCP.NODELAY), 1);
    // IP options take a single byte too, as on Linux.
    call(t, 'setsockopt', c, SOL_IP, IP.TTL, mem.alloc(1, Buffer.from([33])), 1);
    assert.equal(getInt(t, mem, c, SOL_IP, IP.TTL), 33);
    // The host doubles SO_RCVBUF: the value is the host's own answer.
    call(t, 'setsockopt', c, SOL_SOCKET, SO.RCVBUF, intAt(mem, 8192), 4);
    assert.equal(getInt(t, mem, c, SOL_SOCKET, SO.RCVBUF), 16384);
    assert.equal(errnoOf(() => call(t, 'sendto', c, mem.alloc(1), 1, MSG.NOSIGNAL, 0, 0)), Errno.EPIPE);
  });

  it('a closed port refuses a blocking connect; a non-blocking one is EINPROGRESS, then SO_ERROR says why', () => {
    const { t, mem } = setup();
    const l = call(t, 'socket', AF.INET, SOCK.STREAM, 0);
    call(t, 'bind', l, sin(mem, 0), 16);
    const closed = sin(mem, portOf(t, mem, l)); // bound, not listening: nothing accepts there
    const c = call(t, 'socket', AF.INET, SOCK.STREAM, 0);
    let e = 0;
    for (let i = 0; i < 100 && e === 0; i++) {
      try {
        e = errnoOf(() => call(t, 'connect', c, closed, 16));
      } catch {
        pollWaiters(100); // parked: the scheduler would poll the host fd
      }
    }
    assert.equal(e, Errno.ECONNREFUSED);
    const n = call(t, 'socket', AF.INET, SOCK.STREAM | SOCK.NONBLOCK, 0);
    const r = errnoOf(() => call(t, 'connect', n, closed, 16));
    assert.ok(r === Errno.EINPROGRESS || r === Errno.ECONNREFUSED, `errno ${r}`);
    if (r === Errno.EINPROGRESS) {
      for (let i = 0; i < 100 && !(hostPoll([{ fd: hostFdOf(t, n), events: POLL.OUT }], 10)[0] & POLL.ERR); i++);
      assert.equal(getInt(t, mem, n, SOL_SOCKET, SO.ERROR), Errno.ECONNREFUSED);
      assert.equal(getInt(t, mem, n, SOL_SOCKET, SO.ERROR), 0);
    }
  });

  it('blocking calls park on the socket, the host poll wakes them; non-blocking ones fail with EAGAIN', () => {
    const { t, mem } = setup();
    const { l, c, s } = pair(t, mem);
    blockOf(() => call(t, 'accept4', l, 0, 0, 0));
    call(t, 'fcntl', l, 4 /* F_SETFL */, SOCK.NONBLOCK);
    assert.equal(errnoOf(() => call(t, 'accept4', l, 0, 0, 0)), Errno.EAGAIN);
    const buf = mem.alloc(16);
    const block = blockOf(() => call(t, 'recvfrom', c, buf, 16, 0, 0, 0));
    assert.equal(errnoOf(() => call(t, 'recvfrom', c, buf, 16, MSG.DONTWAIT, 0, 0)), Errno.EAGAIN);
    // Parked: the socket's waiter now watches POLLIN on the host fd.
    let woken = 0;
    const waker = () => woken++;
    for (const q of block.queues) q.add(waker);
    const w = [...hostWaiters].find((x) => x.fd === hostFdOf(t, c));
    assert.ok(w && w.events & POLL.IN);
    pollWaiters(0);
    assert.equal(woken, 0, 'nothing to read yet');
    assert.equal(call(t, 'sendto', s, mem.alloc(5, Buffer.from('hello')), 5, 0, 0, 0), 5);
    pollWaiters(1000);
    assert.equal(woken, 1);
    for (const q of block.queues) q.remove(waker);
    assert.equal(call(t, 'recvfrom', c, buf, 16, 0, 0, 0), 5);
    assert.equal(mem.read(buf, 5).toString(), 'hello');
  });

  it('a poller that keeps its registration (epoll) is woken again after a short read, without an EAGAIN first', () => {
    const { t, mem } = setup();
    const { c, s } = pair(t, mem);
    const file = t.process.fds.get(c);
    let woken = 0;
    const waker = () => woken++;
    file.waitQueue?.add(waker);
    const buf = mem.alloc(16);
    try {
      for (const round of [1, 2]) {
        call(t, 'sendto', s, mem.alloc(5, Buffer.from('hello')), 5, 0, 0, 0);
        for (let i = 0; i < 100 && woken < round; i++) pollWaiters(10);
        assert.equal(woken, round, `wake-up ${round}`);
        // Five of sixteen: an edge-triggered reader (nginx) stops here.
        assert.equal(call(t, 'recvfrom', c, buf, 16, 0, 0, 0), 5);
      }
    } finally {
      file.waitQueue?.remove(waker);
    }
  });

  it('MSG_WAITALL waits for the whole length, keeping what came first; FIONREAD counts it', () => {
    const { t, mem } = setup();
    const { c, s } = pair(t, mem);
    const buf = mem.alloc(10);
    call(t, 'sendto', s, mem.alloc(4, Buffer.from('abcd')), 4, 0, 0, 0);
    pollWaiters(100);
    blockOf(() => call(t, 'recvfrom', c, buf, 10, MSG_FLAGS.WAITALL, 0, 0));
    const n = mem.alloc(4);
    call(t, 'ioctl', c, SIOCINQ, n);
    assert.equal(mem.read(n, 4).readInt32LE(0), 4);
    call(t, 'sendto', s, mem.alloc(6, Buffer.from('efghij')), 6, 0, 0, 0);
    let got = 0;
    for (let i = 0; i < 100 && got === 0; i++) {
      try {
        got = call(t, 'recvfrom', c, buf, 10, MSG_FLAGS.WAITALL, 0, 0);
      } catch {
        pollWaiters(10);
      }
    }
    assert.equal(got, 10);
    assert.equal(mem.read(buf, 10).toString(), 'abcdefghij');
  });

  it('UDP: sendto/recvfrom with the sender, MSG_TRUNC gives the real length', () => {
    const { t, mem } = setup();
    const a = call(t, 'socket', AF.INET, SOCK.DGRAM, 0);
    call(t, 'bind', a, sin(mem, 0), 16);
    const b = call(t, 'socket', AF.INET, SOCK.DGRAM, 0);
    call(t, 'bind', b, sin(mem, 0), 16);
    assert.equal(call(t, 'sendto', b, mem.alloc(9, Buffer.from('datagram!')), 9, 0, sin(mem, portOf(t, mem, a)), 16), 9);
    const buf = mem.alloc(4);
    const from = mem.alloc(16);
    const fromLen = mem.alloc(4, Buffer.from([16, 0, 0, 0]));
    let n = -1;
    for (let i = 0; i < 100 && n < 0; i++) {
      try {
        n = call(t, 'recvfrom', a, buf, 4, MSG_FLAGS.TRUNC, from, fromLen);
      } catch {
        pollWaiters(10);
      }
    }
    assert.equal(n, 9);
    assert.equal(mem.read(buf, 4).toString(), 'data');
    assert.equal(mem.read(from, 16).readUInt16BE(2), portOf(t, mem, b));
  });

  it('closing the last reference closes the host fd and forgets its waiter', () => {
    const { t } = setup();
    const fd = call(t, 'socket', AF.INET, SOCK.STREAM, 0);
    const host = hostFdOf(t, fd);
    assert.ok([...hostWaiters].some((w) => (w as unknown as { hostFd: number }).hostFd === host));
    call(t, 'close', fd);
    assert.ok(![...hostWaiters].some((w) => (w as unknown as { hostFd: number }).hostFd === host));
    assert.equal(hostPoll([{ fd: host, events: POLL.IN }], 0)[0], POLL.NVAL);
  });
});

/** The host fd behind an app fd (a private field, read for the test). */
function hostFdOf(t: Task, fd: number): number {
  return (t.process.fds.get(fd) as unknown as { hostFd: number }).hostFd;
}
