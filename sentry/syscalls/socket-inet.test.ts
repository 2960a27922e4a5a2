import assert from 'node:assert/strict';
import { Errno } from '../abi/linux/errno';
import { IPPROTO } from '../abi/linux/inet';
import { MSG, SOL_SOCKET } from '../abi/linux/scm';
import { AF, SO, SOCK } from '../abi/linux/socket';
import type { SyscallName } from '../abi/linux/syscalls';
import type { Kernel } from '../kernel/kernel';
import type { Task } from '../kernel/task';
import { Block } from '../kernel/wait';
import { buildRootVfs } from '../vfs/mounts';
import { callRow, errnoOf, FakeGofer, FakeMemory, makeTask } from '../vfs/testkit';
import { kernelClock } from '../fsimpl/socket/netstack';
import { fsRows } from './fs';
import { socketRows } from './socket';

const rows = { ...fsRows, ...socketRows };

function setup(): { t: Task; mem: FakeMemory; kernel: Kernel } {
  const gofer = new FakeGofer();
  const { task, mem, kernel } = makeTask((k) => buildRootVfs({ gofer, overlay: 'memory', kernel: k, host: { cpuinfo: '', memTotalKb: 1 } }));
  return { t: task, mem, kernel };
}

function call(t: Task, name: SyscallName, ...v: (number | bigint)[]): number {
  return callRow(rows, t, name, ...v);
}

function blocks(fn: () => unknown): boolean {
  try {
    fn();
  } catch (e) {
    if (e instanceof Block) return true;
    throw e;
  }
  return false;
}

/** Runs the kernel timers (the loopback's deliveries) until nothing is due. */
function pump(k: Kernel): void {
  for (let i = 0; i < 100 && k.timers.fire() > 0; i++);
}

function sin(mem: FakeMemory, port: number): number {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF.INET, 0);
  b.writeUInt16BE(port, 2);
  b.writeUInt32BE(0x7f000001, 4);
  return mem.alloc(16, b);
}

function portOf(t: Task, mem: FakeMemory, fd: number): number {
  const addr = mem.alloc(16);
  const len = mem.alloc(4, Buffer.from([16, 0, 0, 0]));
  call(t, 'getsockname', fd, addr, len);
  return mem.read(addr, 16).readUInt16BE(2);
}

describe('AF_INET socket syscalls', () => {
  it('socket() picks TCP or UDP and refuses what Linux refuses', () => {
    const { t } = setup();
    assert.ok(call(t, 'socket', AF.INET, SOCK.STREAM, 0) >= 0);
    assert.ok(call(t, 'socket', AF.INET, SOCK.DGRAM, IPPROTO.UDP) >= 0);
    assert.equal(errnoOf(() => call(t, 'socket', AF.INET, SOCK.STREAM, IPPROTO.UDP)), Errno.EPROTONOSUPPORT);
    assert.equal(errnoOf(() => call(t, 'socket', AF.INET, SOCK.RAW, IPPROTO.ICMP)), Errno.EPERM);
    assert.equal(errnoOf(() => call(t, 'socket', AF.INET, SOCK.SEQPACKET, 0)), Errno.ESOCKTNOSUPPORT);
    assert.equal(errnoOf(() => call(t, 'socket', AF.INET, SOCK.STREAM | 0x100000, 0)), Errno.EINVAL);
    assert.equal(errnoOf(() => call(t, 'socketpair', AF.INET, SOCK.STREAM, 0, 0)), Errno.EOPNOTSUPP);
    assert.equal(errnoOf(() => call(t, 'socket', AF.INET6, SOCK.STREAM, 0)), Errno.EAFNOSUPPORT);
  });

  it('blocking calls park on the endpoint, non-blocking ones fail with EAGAIN, connect with EINPROGRESS', () => {
    const { t, mem, kernel } = setup();
    const l = call(t, 'socket', AF.INET, SOCK.STREAM, 0);
    assert.equal(call(t, 'bind', l, sin(mem, 0), 16), 0);
    assert.equal(call(t, 'listen', l, 4), 0);
    assert.ok(blocks(() => call(t, 'accept4', l, 0, 0, 0)));
    assert.equal(call(t, 'fcntl', l, 4 /* F_SETFL */, SOCK.NONBLOCK), 0);
    assert.equal(errnoOf(() => call(t, 'accept4', l, 0, 0, 0)), Errno.EAGAIN);
    const c = call(t, 'socket', AF.INET, SOCK.STREAM, 0);
    const to = sin(mem, portOf(t, mem, l));
    // A blocking connect sends the SYN, then parks until the handshake ends; its re-run returns 0.
    assert.ok(blocks(() => call(t, 'connect', c, to, 16)));
    pump(kernel);
    assert.equal(call(t, 'connect', c, to, 16), 0);
    const s = call(t, 'accept4', l, 0, 0, SOCK.NONBLOCK);
    assert.equal(call(t, 'fcntl', s, 3 /* F_GETFL */) & SOCK.NONBLOCK, SOCK.NONBLOCK);
    const buf = mem.alloc(16);
    assert.ok(blocks(() => call(t, 'recvfrom', c, buf, 16, 0, 0, 0)));
    assert.equal(errnoOf(() => call(t, 'recvfrom', c, buf, 16, MSG.DONTWAIT, 0, 0)), Errno.EAGAIN);
    assert.equal(errnoOf(() => call(t, 'recvfrom', s, buf, 16, 0, 0, 0)), Errno.EAGAIN);
    assert.equal(call(t, 'sendto', s, mem.alloc(5, Buffer.from('hello')), 5, 0, 0, 0), 5);
    pump(kernel);
    assert.equal(call(t, 'recvfrom', c, buf, 16, 0, 0, 0), 5);
    assert.equal(mem.read(buf, 5).toString(), 'hello');
    const n = call(t, 'socket', AF.INET, SOCK.STREAM | SOCK.NONBLOCK, 0);
    assert.equal(errnoOf(() => call(t, 'connect', n, to, 16)), Errno.EINPROGRESS);
    assert.equal(errnoOf(() => call(t, 'connect', n, to, 16)), Errno.EALREADY);
    pump(kernel);
    assert.equal(call(t, 'connect', n, to, 16), 0);
    assert.equal(errnoOf(() => call(t, 'connect', n, to, 16)), Errno.EISCONN);
  });

  it('a stream send reads from the app only the bytes the send buffer takes', () => {
    const { t, mem, kernel } = setup();
    const l = call(t, 'socket', AF.INET, SOCK.STREAM, 0);
    assert.equal(call(t, 'bind', l, sin(mem, 0), 16), 0);
    assert.equal(call(t, 'listen', l, 1), 0);
    const c = call(t, 'socket', AF.INET, SOCK.STREAM, 0);
    const to = sin(mem, portOf(t, mem, l));
    assert.ok(blocks(() => call(t, 'connect', c, to, 16)));
    pump(kernel);
    assert.equal(call(t, 'connect', c, to, 16), 0);
    // SO_SNDBUF 4096 is doubled to 8192, as Linux does; the peer never reads.
    assert.equal(call(t, 'setsockopt', c, SOL_SOCKET, SO.SNDBUF, mem.alloc(4, Buffer.from([0, 16, 0, 0])), 4), 0);
    const big = mem.alloc(65536, Buffer.alloc(65536, 7));
    const reads: number[] = [];
    const read = mem.read.bind(mem);
    mem.read = (addr, len) => {
      if (addr >= big && addr < big + 65536) reads.push(len);
      return read(addr, len);
    };
    const sent = call(t, 'sendto', c, big, 65536, MSG.DONTWAIT, 0, 0);
    assert.equal(sent, 8192);
    assert.deepEqual(reads, [8192]);
    // Full: a non-blocking send fails and a blocking one waits, neither reading the data.
    assert.equal(errnoOf(() => call(t, 'sendto', c, big, 65536, MSG.DONTWAIT, 0, 0)), Errno.EAGAIN);
    assert.ok(blocks(() => call(t, 'sendto', c, big, 65536, 0, 0, 0)));
    assert.deepEqual(reads, [8192]);
  });

  it('a send on an unconnected stream is EPIPE; short or IPv6 addresses are EINVAL/EAFNOSUPPORT', () => {
    const { t, mem } = setup();
    const c = call(t, 'socket', AF.INET, SOCK.STREAM, 0);
    assert.equal(errnoOf(() => call(t, 'sendto', c, mem.alloc(1), 1, MSG.NOSIGNAL, 0, 0)), Errno.EPIPE);
    assert.equal(errnoOf(() => call(t, 'bind', c, sin(mem, 0), 8)), Errno.EINVAL);
    const six = mem.alloc(28, Buffer.from([AF.INET6, 0]));
    assert.equal(errnoOf(() => call(t, 'bind', c, six, 28)), Errno.EAFNOSUPPORT);
  });
});

describe('kernelClock', () => {
  it('runs stack timers on the kernel timers, in deadline order', () => {
    const { kernel } = setup();
    const clock = kernelClock(kernel.timers);
    const seen: string[] = [];
    clock.setTimer(5, () => seen.push('later'));
    clock.setTimer(0, () => seen.push('now'));
    const cancelled = clock.setTimer(0, () => seen.push('cancelled'));
    cancelled.cancel();
    kernel.timers.fire();
    assert.deepEqual(seen, ['now']);
    const start = clock.now();
    while (clock.now() - start < 6);
    kernel.timers.fire();
    assert.deepEqual(seen, ['now', 'later']);
  });
});
