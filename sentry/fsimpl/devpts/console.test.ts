/**
 * The console bridge on real host fds (two FIFOs opened read-write): bytes
 * typed on the host reach the slave through the line discipline, slave
 * output and echo reach the host, resize and close act like Linux's
 * TIOCSWINSZ and hangup.
 */
import * as assert from 'assert';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIG } from '../../abi/linux/signal';
import { TIOCGWINSZ } from '../../abi/linux/tty';
import { hostWaiters } from '../../kernel/hostwait';
import { sigBit } from '../../kernel/signal/send';
import { hostPoll } from '../../platform/host/hostfd';
import { makeTask } from '../../vfs/testkit';
import { Vfs } from '../../vfs/vfs';
import { attachConsole } from './console';
import { mountDevpts } from './devpts';

/** What the scheduler does when every task is parked: notify waiters of ready host fds. */
function pollHost(): void {
  const watched = [...hostWaiters].filter((w) => w.queue.size > 0);
  const revents = hostPoll(watched, 100);
  watched.forEach((w, i) => revents[i] !== 0 && w.queue.notify());
}

describe('devpts console bridge', () => {
  let dir: string;
  let input: number;
  let output: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'console-'));
    execFileSync('/usr/bin/mkfifo', [join(dir, 'in'), join(dir, 'out')]);
    input = openSync(join(dir, 'in'), constants.O_RDWR | constants.O_NONBLOCK);
    output = openSync(join(dir, 'out'), constants.O_RDWR | constants.O_NONBLOCK);
  });

  afterEach(() => {
    closeSync(input);
    closeSync(output);
    rmSync(dir, { recursive: true });
  });

  function hostOutput(): string {
    const b = Buffer.alloc(4096);
    try {
      return b.subarray(0, readSync(output, b)).toString('latin1');
    } catch {
      return '';
    }
  }

  it('carries input, echo, output, resize and hangup between host fds and the slave', () => {
    const { kernel, task, mem } = makeTask((k) => {
      const vfs = new Vfs();
      mountDevpts(vfs, k);
      return vfs;
    });
    // Handlers, so the signals stay pending instead of taking their default actions.
    const p = task.process;
    for (const s of [SIG.SIGWINCH, SIG.SIGINT, SIG.SIGHUP]) p.sigactions.set(s, { ...p.sigactions.get(s), handler: 0x1000n });
    const c = attachConsole(kernel, { input, output });
    c.setControlling(task.process);
    const slave = c.slave;
    slave.incRef();
    assert.strictEqual(slave.path, '/dev/pts/0');

    writeSync(input, 'ls -l\x7f\x7f\r');
    pollHost();
    const line = Buffer.alloc(64);
    assert.strictEqual(line.subarray(0, slave.read(line, task)).toString(), 'ls \n');
    assert.strictEqual(hostOutput(), 'ls -l\b \b\b \b\r\n');

    slave.write(Buffer.from('total 0\n'), task);
    assert.strictEqual(hostOutput(), 'total 0\r\n');

    c.resize(24, 80);
    const ws = mem.alloc(8);
    slave.ioctl?.(mem, TIOCGWINSZ, ws, task);
    assert.deepStrictEqual([mem.read(ws, 2).readUInt16LE(0), mem.read(ws + 2, 2).readUInt16LE(0)], [24, 80]);
    assert.ok(task.process.sigPending.mask & sigBit(SIG.SIGWINCH));

    writeSync(input, '\x03');
    pollHost();
    assert.ok(task.process.sigPending.mask & sigBit(SIG.SIGINT));
    assert.strictEqual(hostOutput(), '^C');

    c.close();
    assert.strictEqual([...hostWaiters].some((w) => w.fd === input), false);
    assert.ok(task.process.sigPending.mask & sigBit(SIG.SIGHUP));
    assert.strictEqual(slave.read(line, task), 0);
    assert.throws(() => slave.write(Buffer.from('x'), task), /EIO|hung up/);
    slave.decRef();
  });
});
