import assert from 'node:assert/strict';
import { EPOLL, EPOLL_CTL } from '../abi/linux/epoll';
import { EFD } from '../abi/linux/eventfd';
import { FD_CLOEXEC, F, FIONREAD, O } from '../abi/linux/fs';
import { POLL } from '../abi/linux/poll';
import { CLOCK } from '../abi/linux/time';
import { SyscallName } from '../abi/linux/syscalls';
import { isLinuxError } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import { Block } from '../kernel/wait';
import { buildRootVfs } from '../vfs/mounts';
import { args, FakeGofer, FakeMemory, makeTask } from '../vfs/testkit';
import { epollRows } from './epoll';
import { eventfdRows } from './eventfd';
import { fsRows } from './fs';
import { pipeRows } from './pipe';
import { pollRows } from './poll';
import { FamilyRows } from './rows';
import { timerfdRows } from './timerfd';

const ROWS: FamilyRows = { ...fsRows, ...pipeRows, ...pollRows, ...epollRows, ...eventfdRows, ...timerfdRows };

function setup(): { t: Task; mem: FakeMemory } {
  const gofer = new FakeGofer();
  const { task, mem } = makeTask((k) => buildRootVfs({ gofer, overlay: 'memory', kernel: k, host: { cpuinfo: '', memTotalKb: 1 } }));
  return { t: task, mem };
}

function call(t: Task, name: SyscallName, ...a: (number | bigint)[]): number {
  const row = ROWS[name] ?? assert.fail(`no row ${name}`);
  const r = Number(row.handler(t, args(...a)));
  t.syscallDone();
  return r;
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (isLinuxError(e)) return e.code;
    throw e;
  }
  return undefined;
}

/** Runs a syscall that must block, parks it like the scheduler, and reports whether a queue woke it. */
function park(t: Task, name: SyscallName, ...a: (number | bigint)[]): { block: Block; woken: () => boolean } {
  try {
    call(t, name, ...a);
  } catch (e) {
    if (!(e instanceof Block)) throw e;
    t.blocked = e;
    let woken = false;
    for (const q of e.queues) q.add(() => (woken = true));
    return { block: e, woken: () => woken };
  }
  return assert.fail(`${name} did not block`);
}

function pipe(t: Task, mem: FakeMemory, flags = 0): [number, number] {
  const p = mem.alloc(8);
  assert.equal(call(t, 'pipe2', p, flags), 0);
  const b = mem.read(p, 8);
  return [b.readInt32LE(0), b.readInt32LE(4)];
}

function write(t: Task, mem: FakeMemory, fd: number, s: string | Buffer): number {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return call(t, 'write', fd, mem.alloc(b.length, b), b.length);
}

function pollfds(mem: FakeMemory, list: [number, number][]): number {
  const b = Buffer.alloc(list.length * 8);
  list.forEach(([fd, ev], i) => {
    b.writeInt32LE(fd, i * 8);
    b.writeUInt16LE(ev, i * 8 + 4);
    b.writeUInt16LE(0xffff, i * 8 + 6);
  });
  return mem.alloc(b.length, b);
}

function revents(mem: FakeMemory, addr: number, n: number): number[] {
  const b = mem.read(addr, n * 8);
  return Array.from({ length: n }, (_, i) => b.readUInt16LE(i * 8 + 6));
}

describe('pipe syscalls', () => {
  it('pipe2 installs a read end and a write end with the requested flags', () => {
    const { t, mem } = setup();
    const [r, w] = pipe(t, mem, O.CLOEXEC | O.NONBLOCK);
    assert.deepEqual([r, w], [0, 1]);
    assert.equal(call(t, 'fcntl', r, F.GETFD), FD_CLOEXEC);
    assert.equal(call(t, 'fcntl', r, F.GETFL), O.RDONLY | O.NONBLOCK);
    assert.equal(call(t, 'fcntl', w, F.GETFL), O.WRONLY | O.NONBLOCK);
    const buf = mem.alloc(16);
    assert.equal(code(() => call(t, 'read', r, buf, 16)), 'EAGAIN');
    assert.equal(write(t, mem, w, 'hello'), 5);
    const n = mem.alloc(4);
    assert.equal(call(t, 'ioctl', r, FIONREAD, n), 0);
    assert.equal(mem.read(n, 4).readInt32LE(0), 5);
    assert.equal(call(t, 'read', r, buf, 16), 5);
    assert.equal(mem.read(buf, 5).toString(), 'hello');
    call(t, 'close', w);
    assert.equal(call(t, 'read', r, buf, 16), 0);
  });

  it('rejects bad flags and leaves no fds when the array faults', () => {
    const { t, mem } = setup();
    assert.equal(code(() => call(t, 'pipe2', mem.alloc(8), O.DIRECT)), 'EINVAL');
    assert.equal(code(() => call(t, 'pipe2', mem.alloc(8), O.APPEND)), 'EINVAL');
    assert.equal(code(() => call(t, 'pipe', 0x10)), 'EFAULT');
    assert.deepEqual(t.process.fds.list(), []);
  });

  it('a blocked read completes after a write notifies it', () => {
    const { t, mem } = setup();
    const [r, w] = pipe(t, mem);
    const buf = mem.alloc(16);
    const { block, woken } = park(t, 'read', r, buf, 16);
    assert.equal(block.interrupt, 'restart');
    assert.equal(woken(), false);
    write(t, mem, w, 'late');
    assert.ok(woken());
    assert.equal(call(t, 'read', r, buf, 16), 4);
    assert.equal(mem.read(buf, 4).toString(), 'late');
  });

  it('a write to a pipe without readers is EPIPE', () => {
    const { t, mem } = setup();
    const [r, w] = pipe(t, mem);
    call(t, 'close', r);
    assert.equal(code(() => write(t, mem, w, 'x')), 'EPIPE');
  });
});

describe('poll and select', () => {
  it('poll reports POLLIN, POLLOUT, POLLNVAL and ignores negative fds', () => {
    const { t, mem } = setup();
    const [r, w] = pipe(t, mem);
    const fds = pollfds(mem, [[r, POLL.IN], [w, POLL.OUT], [-1, POLL.IN], [42, POLL.IN]]);
    assert.equal(call(t, 'poll', fds, 4, 0), 2);
    assert.deepEqual(revents(mem, fds, 4), [0, POLL.OUT, 0, POLL.NVAL]);
    write(t, mem, w, 'x');
    assert.equal(call(t, 'poll', fds, 4, 0), 3);
    assert.deepEqual(revents(mem, fds, 4), [POLL.IN, POLL.OUT, 0, POLL.NVAL]);
    call(t, 'close', w);
    const only = pollfds(mem, [[r, 0]]);
    assert.equal(call(t, 'poll', only, 1, 0), 1);
    assert.deepEqual(revents(mem, only, 1), [POLL.HUP], 'POLLHUP is reported even when not requested');
    assert.equal(code(() => call(t, 'poll', fds, 1 << 30, 0)), 'EINVAL');
  });

  it('poll blocks until a queue is notified, or until its timeout fires', () => {
    const { t, mem } = setup();
    const [r, w] = pipe(t, mem);
    const fds = pollfds(mem, [[r, POLL.IN]]);
    const { block, woken } = park(t, 'poll', fds, 1, -1);
    assert.equal(block.interrupt, 'eintr');
    write(t, mem, w, 'x');
    assert.ok(woken());
    assert.equal(call(t, 'poll', fds, 1, -1), 1);
    call(t, 'read', r, mem.alloc(1), 1);

    const timed = park(t, 'poll', fds, 1, 50);
    assert.equal(t.kernel.timers.fire(0n), 0);
    assert.equal(t.kernel.timers.fire(1n << 62n), 1);
    assert.ok(timed.woken());
    assert.equal(call(t, 'poll', fds, 1, 50), 0);
    assert.deepEqual(revents(mem, fds, 1), [0]);
    assert.equal(t.kernel.timers.next(), undefined, 'no timer left behind');
  });

  it('ppoll applies its signal mask while blocked and restores it after', () => {
    const { t, mem } = setup();
    const [r, w] = pipe(t, mem);
    t.sigmask = 1n;
    const fds = pollfds(mem, [[r, POLL.IN]]);
    const mask = mem.alloc(8, Buffer.from([0xff, 0xff, 0, 0, 0, 0, 0, 0]));
    assert.equal(code(() => call(t, 'ppoll', fds, 1, 0, mask, 4)), 'EINVAL');
    park(t, 'ppoll', fds, 1, 0, mask, 8);
    assert.equal(t.sigmask, 0xffffn & ~(1n << 8n), 'SIGKILL cannot be blocked');
    write(t, mem, w, 'x');
    assert.equal(call(t, 'ppoll', fds, 1, 0, mask, 8), 1);
    assert.equal(t.sigmask, 1n);
  });

  it('select rewrites the sets with ready fds and checks fds', () => {
    const { t, mem } = setup();
    const [r, w] = pipe(t, mem);
    const set = (...fds: number[]) => {
      const b = Buffer.alloc(8);
      for (const fd of fds) b[fd >> 3] |= 1 << (fd & 7);
      return mem.alloc(8, b);
    };
    const rd = set(r);
    const wr = set(w, r);
    const tv = mem.alloc(16, Buffer.alloc(16));
    assert.equal(call(t, 'select', 2, rd, wr, 0, tv), 1);
    assert.deepEqual([...mem.read(rd, 8)], [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...mem.read(wr, 8)], [2, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(code(() => call(t, 'select', 10, set(9), 0, 0, tv)), 'EBADF');
    assert.equal(code(() => call(t, 'select', -1, 0, 0, 0, 0)), 'EINVAL');

    const rd2 = set(r);
    const tv2 = mem.alloc(16, Buffer.from([5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    park(t, 'select', 1, rd2, 0, 0, tv2);
    assert.deepEqual([...mem.read(rd2, 1)], [1], 'the sets survive a park for the re-run');
    t.kernel.timers.fire(1n << 62n);
    assert.equal(call(t, 'select', 1, rd2, 0, 0, tv2), 0);
    assert.deepEqual([...mem.read(rd2, 1)], [0], 'timeout clears the sets');
    assert.deepEqual([...mem.read(tv2, 16)], Array(16).fill(0), 'timeout rewritten to the time left');
  });
});

describe('epoll', () => {
  function event(mem: FakeMemory, events: number, data: bigint): number {
    const b = Buffer.alloc(12);
    b.writeUInt32LE(events >>> 0, 0);
    b.writeBigUInt64LE(data, 4);
    return mem.alloc(12, b);
  }

  function wait(t: Task, mem: FakeMemory, ep: number, max = 8, timeout = 0): [number, bigint][] {
    const out = mem.alloc(max * 12);
    const n = call(t, 'epoll_wait', ep, out, max, timeout);
    const b = mem.read(out, n * 12);
    return Array.from({ length: n }, (_, i) => [b.readUInt32LE(i * 12), b.readBigUInt64LE(i * 12 + 4)]);
  }

  it('level-triggered entries report while ready and rotate under maxevents', () => {
    const { t, mem } = setup();
    const ep = call(t, 'epoll_create1', 0);
    const [r1, w1] = pipe(t, mem);
    const [r2, w2] = pipe(t, mem);
    call(t, 'epoll_ctl', ep, EPOLL_CTL.ADD, r1, event(mem, EPOLL.IN, 1n));
    call(t, 'epoll_ctl', ep, EPOLL_CTL.ADD, r2, event(mem, EPOLL.IN, 2n));
    assert.deepEqual(wait(t, mem, ep), []);
    write(t, mem, w1, 'a');
    write(t, mem, w2, 'b');
    assert.deepEqual(wait(t, mem, ep, 1), [[EPOLL.IN, 1n]]);
    assert.deepEqual(wait(t, mem, ep, 1), [[EPOLL.IN, 2n]]);
    assert.deepEqual(wait(t, mem, ep), [[EPOLL.IN, 1n], [EPOLL.IN, 2n]]);
  });

  it('edge-triggered entries report once per change; ONESHOT until EPOLL_CTL_MOD', () => {
    const { t, mem } = setup();
    const ep = call(t, 'epoll_create', 1);
    const [r, w] = pipe(t, mem);
    const [r2, w2] = pipe(t, mem);
    call(t, 'epoll_ctl', ep, EPOLL_CTL.ADD, r, event(mem, EPOLL.IN | EPOLL.ET, 7n));
    call(t, 'epoll_ctl', ep, EPOLL_CTL.ADD, r2, event(mem, EPOLL.IN | EPOLL.ONESHOT, 8n));
    write(t, mem, w, 'a');
    write(t, mem, w2, 'a');
    assert.deepEqual(wait(t, mem, ep), [[EPOLL.IN, 7n], [EPOLL.IN, 8n]]);
    assert.deepEqual(wait(t, mem, ep), [], 'no new edge, oneshot disarmed');
    write(t, mem, w, 'b');
    assert.deepEqual(wait(t, mem, ep), [[EPOLL.IN, 7n]]);
    call(t, 'epoll_ctl', ep, EPOLL_CTL.MOD, r2, event(mem, EPOLL.IN, 9n));
    assert.deepEqual(wait(t, mem, ep), [[EPOLL.IN, 9n]]);
  });

  it('epoll_wait blocks on the epoll queue and is itself pollable', () => {
    const { t, mem } = setup();
    const ep = call(t, 'epoll_create1', O.CLOEXEC);
    assert.equal(call(t, 'fcntl', ep, F.GETFD), FD_CLOEXEC);
    const [r, w] = pipe(t, mem);
    call(t, 'epoll_ctl', ep, EPOLL_CTL.ADD, r, event(mem, EPOLL.IN, 3n));
    const out = mem.alloc(12);
    const { woken } = park(t, 'epoll_wait', ep, out, 1, -1);
    const fds = pollfds(mem, [[ep, POLL.IN]]);
    assert.equal(call(t, 'poll', fds, 1, 0), 0);
    write(t, mem, w, 'x');
    assert.ok(woken());
    assert.equal(call(t, 'poll', fds, 1, 0), 1);
    assert.equal(call(t, 'epoll_wait', ep, out, 1, -1), 1);
    call(t, 'close', r);
    assert.deepEqual(wait(t, mem, ep), [], 'entries of closed files are dropped');
  });

  it('epoll_ctl errors follow Linux', () => {
    const { t, mem } = setup();
    const ep = call(t, 'epoll_create1', 0);
    const [r] = pipe(t, mem);
    const ev = event(mem, EPOLL.IN, 0n);
    assert.equal(code(() => call(t, 'epoll_create', 0)), 'EINVAL');
    assert.equal(code(() => call(t, 'epoll_create1', 1)), 'EINVAL');
    assert.equal(code(() => call(t, 'epoll_ctl', ep, EPOLL_CTL.MOD, r, ev)), 'ENOENT');
    assert.equal(code(() => call(t, 'epoll_ctl', ep, EPOLL_CTL.DEL, r, 0)), 'ENOENT');
    call(t, 'epoll_ctl', ep, EPOLL_CTL.ADD, r, ev);
    assert.equal(code(() => call(t, 'epoll_ctl', ep, EPOLL_CTL.ADD, r, ev)), 'EEXIST');
    assert.equal(code(() => call(t, 'epoll_ctl', ep, 9, r, ev)), 'EINVAL');
    assert.equal(code(() => call(t, 'epoll_ctl', ep, EPOLL_CTL.ADD, ep, ev)), 'EINVAL');
    assert.equal(code(() => call(t, 'epoll_ctl', r, EPOLL_CTL.ADD, ep, ev)), 'EINVAL');
    assert.equal(code(() => call(t, 'epoll_ctl', ep, EPOLL_CTL.ADD, 99, ev)), 'EBADF');
    const ep2 = call(t, 'epoll_create1', 0);
    call(t, 'epoll_ctl', ep2, EPOLL_CTL.ADD, ep, ev);
    assert.equal(code(() => call(t, 'epoll_ctl', ep, EPOLL_CTL.ADD, ep2, ev)), 'ELOOP');
    const [r3] = pipe(t, mem);
    assert.equal(code(() => call(t, 'epoll_ctl', ep, EPOLL_CTL.ADD, r3, event(mem, EPOLL.IN | EPOLL.EXCLUSIVE | EPOLL.ONESHOT, 0n))), 'EINVAL');
    call(t, 'epoll_ctl', ep, EPOLL_CTL.ADD, r3, event(mem, EPOLL.IN | EPOLL.EXCLUSIVE, 0n));
    assert.equal(code(() => call(t, 'epoll_ctl', ep, EPOLL_CTL.MOD, r3, ev)), 'EINVAL');
    const f = call(t, 'open', mem.str('/tmp/reg'), O.CREAT | O.RDWR, 0o600);
    assert.equal(code(() => call(t, 'epoll_ctl', ep, EPOLL_CTL.ADD, f, ev)), 'EPERM');
    assert.equal(code(() => call(t, 'epoll_wait', ep, mem.alloc(12), 0, 0)), 'EINVAL');
  });
});

describe('eventfd', () => {
  function u64(mem: FakeMemory, v: bigint): number {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return mem.alloc(8, b);
  }

  it('counts, and reads all of it or one at a time in semaphore mode', () => {
    const { t, mem } = setup();
    const fd = call(t, 'eventfd2', 3, EFD.NONBLOCK);
    const sem = call(t, 'eventfd2', 2, EFD.SEMAPHORE | EFD.NONBLOCK | EFD.CLOEXEC);
    assert.equal(call(t, 'fcntl', sem, F.GETFD), FD_CLOEXEC);
    const out = mem.alloc(8);
    assert.equal(call(t, 'write', fd, u64(mem, 4n), 8), 8);
    assert.equal(call(t, 'read', fd, out, 8), 8);
    assert.equal(mem.read(out, 8).readBigUInt64LE(0), 7n);
    assert.equal(code(() => call(t, 'read', fd, out, 8)), 'EAGAIN');
    assert.equal(call(t, 'read', sem, out, 16), 8);
    assert.equal(mem.read(out, 8).readBigUInt64LE(0), 1n);
    call(t, 'read', sem, out, 8);
    assert.equal(code(() => call(t, 'read', sem, out, 8)), 'EAGAIN');
    assert.equal(code(() => call(t, 'read', fd, out, 7)), 'EINVAL');
    assert.equal(code(() => call(t, 'write', fd, u64(mem, 0xffffffffffffffffn), 8)), 'EINVAL');
    assert.equal(code(() => call(t, 'eventfd2', 0, 0x10)), 'EINVAL');
  });

  it('writes that would overflow wait; poll sees the counter', () => {
    const { t, mem } = setup();
    const fd = call(t, 'eventfd', 0);
    const fds = pollfds(mem, [[fd, POLL.IN | POLL.OUT]]);
    assert.equal(call(t, 'poll', fds, 1, 0), 1);
    assert.deepEqual(revents(mem, fds, 1), [POLL.OUT]);
    call(t, 'write', fd, u64(mem, 0xfffffffffffffffen), 8);
    assert.deepEqual((call(t, 'poll', fds, 1, 0), revents(mem, fds, 1)), [POLL.IN]);
    const { woken } = park(t, 'write', fd, u64(mem, 1n), 8);
    call(t, 'read', fd, mem.alloc(8), 8);
    assert.ok(woken());
    assert.equal(call(t, 'write', fd, u64(mem, 1n), 8), 8);
  });
});

describe('timerfd', () => {
  it('settime/gettime round-trip; expirations are counted and read', () => {
    const { t, mem } = setup();
    assert.equal(code(() => call(t, 'timerfd_create', CLOCK.PROCESS_CPUTIME_ID, 0)), 'EINVAL');
    assert.equal(code(() => call(t, 'timerfd_create', CLOCK.BOOTTIME_ALARM, 0)), 'EPERM');
    const fd = call(t, 'timerfd_create', CLOCK.MONOTONIC, 0);
    const spec = Buffer.alloc(32);
    spec.writeBigInt64LE(1n, 0); // interval 1 s
    spec.writeBigInt64LE(100n, 16); // first expiry in 100 s
    const sp = mem.alloc(32, spec);
    assert.equal(call(t, 'timerfd_settime', fd, 0, sp, 0), 0);
    const cur = mem.alloc(32);
    call(t, 'timerfd_gettime', fd, cur);
    const g = mem.read(cur, 32);
    assert.equal(g.readBigInt64LE(0), 1n);
    assert.ok(g.readBigInt64LE(16) === 99n || g.readBigInt64LE(16) === 100n);
    const { woken } = park(t, 'read', fd, mem.alloc(8), 8);
    assert.equal(t.kernel.timers.next() !== undefined, true);

    spec.writeBigInt64LE(0n, 16);
    spec.writeBigInt64LE(1n, 24); // 1 ns: already due when read
    assert.equal(call(t, 'timerfd_settime', fd, 0, mem.alloc(32, spec), cur), 0);
    assert.equal(mem.read(cur, 8).readBigInt64LE(0), 1n, 'old interval');
    assert.ok(woken(), 'settime wakes waiters');
    const out = mem.alloc(8);
    assert.equal(call(t, 'read', fd, out, 8), 8);
    assert.ok(mem.read(out, 8).readBigUInt64LE(0) >= 1n);
    assert.equal(code(() => call(t, 'write', fd, out, 8)), 'EINVAL');
    assert.equal(code(() => call(t, 'timerfd_settime', fd, 4, sp, 0)), 'EINVAL');
    const bad = Buffer.alloc(32);
    bad.writeBigInt64LE(2_000_000_000n, 24);
    assert.equal(code(() => call(t, 'timerfd_settime', fd, 0, mem.alloc(32, bad), 0)), 'EINVAL');
  });
});
