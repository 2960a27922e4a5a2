import assert from 'node:assert/strict';
import { O, S_IFIFO } from '../../abi/linux/fs';
import { isLinuxError } from '../../errors/linuxerr';
import { Task } from '../../kernel/task';
import { Block } from '../../kernel/wait';
import type { FileDescription } from '../../vfs/file';
import { makeTask } from '../../vfs/testkit';
import { Vfs } from '../../vfs/vfs';
import { Tmpfs } from '../tmpfs/tmpfs';
import { openFifo, resumeFifoOpen } from './fifo';

const owner = { uid: 0, gid: 0 };

/** What `fn` ended with: its result, the Block it waits with, or an errno's name. */
function outcome<T>(fn: () => T): T | Block | string {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Block) return e;
    if (isLinuxError(e)) return e.code ?? 'unnamed errno';
    throw e;
  }
}

function end(x: FileDescription | Block | string): FileDescription {
  if (x instanceof Block || typeof x === 'string') assert.fail(`no end: ${String(x)}`);
  return x;
}

/** A FIFO node, two tasks, and an opener. */
function setup() {
  const { kernel, task: a } = makeTask(() => new Vfs());
  const b = new Task(kernel, kernel.allocTid(), a.process, a.ctx);
  const node = new Tmpfs(1).root.mknod('p', S_IFIFO | 0o600, owner);
  const open = (t: Task, flags: number) => outcome(() => openFifo(t, node, flags, '/p', true));
  return { a, b, open };
}

describe('named pipes (fifo.ts)', () => {
  it('a reader waits as an end: a writer then opens without waiting and the reader\'s re-run takes its end', () => {
    const { a, b, open } = setup();
    const wait = open(a, O.RDONLY);
    assert.ok(wait instanceof Block);
    assert.throws(() => resumeFifoOpen(a), Block, 'no writer yet: it waits again');
    const w = end(open(b, O.WRONLY | O.NONBLOCK)); // the waiting reader counts
    const r = resumeFifoOpen(a);
    assert.ok(r);
    assert.equal(resumeFifoOpen(a), undefined, 'taken once');
    w.write(Buffer.from('x'));
    const buf = Buffer.alloc(4);
    assert.equal(r.read(buf), 1);
  });

  it('a wait cancelled (signal, death) drops its end; the last close drops the data', () => {
    const { a, b, open } = setup();
    const wait = open(a, O.RDONLY);
    assert.ok(wait instanceof Block && wait.cancel);
    wait.cancel();
    assert.equal(resumeFifoOpen(a), undefined);
    assert.equal(open(b, O.WRONLY | O.NONBLOCK), 'ENXIO');
    const rw = end(open(a, O.RDWR)); // O_RDWR never waits
    rw.write(Buffer.from('gone'));
    rw.decRef();
    const again = end(open(a, O.RDWR | O.NONBLOCK));
    assert.equal(outcome(() => again.read(Buffer.alloc(4))), 'EAGAIN');
  });
});
