import assert from 'node:assert/strict';
import { FIONREAD, O } from '../../abi/linux/fs';
import { Errno } from '../../abi/linux/errno';
import { IN, IN_ALL_EVENTS, INOTIFY_EVENT_SIZE, INOTIFY_MAX_QUEUED_EVENTS } from '../../abi/linux/inotify';
import { POLL } from '../../abi/linux/poll';
import { Block } from '../../kernel/wait';
import { accessed, modified, notifyName, notifyPath, watchCount } from '../../vfs/fsnotify';
import type { Inode } from '../../vfs/inode';
import { errnoOf, FakeMemory } from '../../vfs/testkit';
import { Tmpfs } from '../tmpfs/tmpfs';
import { Inotify } from './inotify';

interface Event {
  wd: number;
  mask: number;
  cookie: number;
  name: string;
  /** The name field's length (with its padding). */
  len: number;
}

function parse(b: Buffer): Event[] {
  const out: Event[] = [];
  for (let off = 0; off < b.length;) {
    const len = b.readUInt32LE(off + 12);
    const raw = b.subarray(off + INOTIFY_EVENT_SIZE, off + INOTIFY_EVENT_SIZE + len);
    const nul = raw.indexOf(0);
    out.push({ wd: b.readInt32LE(off), mask: b.readUInt32LE(off + 4), cookie: b.readUInt32LE(off + 8), name: raw.subarray(0, nul < 0 ? len : nul).toString(), len });
    off += INOTIFY_EVENT_SIZE + len;
  }
  return out;
}

function readAll(ino: Inotify, size = 1 << 20): Event[] {
  const buf = Buffer.alloc(size);
  return parse(buf.subarray(0, ino.read(buf)));
}

const owner = { uid: 0, gid: 0 };

describe('inotify instance', () => {
  let dir: Inode;
  let file: Inode;
  let ino: Inotify;
  beforeEach(() => {
    const fs = new Tmpfs(1);
    dir = fs.root;
    file = fs.root.create('f', 0o644, owner);
    ino = new Inotify(O.NONBLOCK);
  });
  afterEach(() => ino.decRef());

  it('numbers watches from 1, one per inode; adding again replaces the mask or, with IN_MASK_ADD, extends it', () => {
    assert.equal(ino.watch(dir, IN.CREATE, true), 1);
    assert.equal(ino.watch(file, IN.MODIFY, true), 2);
    assert.equal(ino.watch(file, IN.ATTRIB, true), 2);
    notifyPath(file, dir, 'f', IN.MODIFY);
    notifyPath(file, dir, 'f', IN.ATTRIB);
    assert.deepEqual(readAll(ino).map((e) => [e.wd, e.mask]), [[2, IN.ATTRIB]]);
    ino.watch(file, IN.MODIFY | IN.MASK_ADD, true);
    notifyPath(file, dir, 'f', IN.MODIFY);
    notifyPath(file, dir, 'f', IN.ATTRIB);
    assert.deepEqual(readAll(ino).map((e) => e.mask), [IN.MODIFY, IN.ATTRIB]);
    assert.equal(errnoOf(() => ino.watch(file, IN.MODIFY | IN.MASK_CREATE, true)), Errno.EEXIST);
    assert.equal(errnoOf(() => ino.watch(new Tmpfs(2).root, IN.MODIFY, false)), Errno.ENOSPC);
  });

  it('pads names with NULs to 16 bytes, merges an event identical to the last one, and keeps others apart', () => {
    ino.watch(dir, IN_ALL_EVENTS, true);
    notifyName(dir, IN.CREATE, 'abcdefghijklmno', file);
    notifyName(dir, IN.CREATE, 'abcdefghijklmnop', file);
    notifyPath(file, dir, 'f', IN.MODIFY);
    notifyPath(file, dir, 'f', IN.MODIFY);
    notifyPath(file, dir, 'g', IN.MODIFY);
    const got = readAll(ino);
    assert.deepEqual(got.map((e) => [e.name, e.len, e.mask]), [
      ['abcdefghijklmno', 16, IN.CREATE],
      ['abcdefghijklmnop', 32, IN.CREATE],
      ['f', 16, IN.MODIFY],
      ['g', 16, IN.MODIFY],
    ]);
  });

  it('reads whole events only: EINVAL when the first does not fit, EAGAIN (or a Block) when there is none', () => {
    ino.watch(file, IN.MODIFY | IN.ATTRIB, true);
    assert.equal(errnoOf(() => ino.read(Buffer.alloc(16))), Errno.EAGAIN);
    notifyPath(file, dir, 'f', IN.MODIFY);
    notifyPath(file, dir, 'f', IN.ATTRIB);
    assert.equal(errnoOf(() => ino.read(Buffer.alloc(15))), Errno.EINVAL);
    assert.deepEqual(readAll(ino, 20).map((e) => e.mask), [IN.MODIFY]);
    assert.deepEqual(readAll(ino, 20).map((e) => e.mask), [IN.ATTRIB]);
    const blocking = new Inotify(0);
    try {
      assert.ok((() => { try { blocking.read(Buffer.alloc(64)); } catch (e) { return e; } })() instanceof Block);
    } finally {
      blocking.decRef();
    }
  });

  it('past max_queued_events drops events and queues one IN_Q_OVERFLOW; FIONREAD and poll follow the queue', () => {
    ino.watch(dir, IN.CREATE, true);
    for (let i = 0; i < INOTIFY_MAX_QUEUED_EVENTS + 10; i++) notifyName(dir, IN.CREATE, `n${i}`, file);
    const mem = new FakeMemory();
    const at = mem.alloc(4);
    ino.ioctl(mem, FIONREAD, at);
    assert.equal(mem.read(at, 4).readInt32LE(0), INOTIFY_MAX_QUEUED_EVENTS * 32 + 16);
    assert.equal(ino.readiness(), POLL.IN | POLL.RDNORM);
    // Read in small pieces, so the queue is compacted between reads, and in order.
    const names: string[] = [];
    let last: Event | undefined;
    while (ino.readiness() !== 0) {
      for (const e of readAll(ino, 40 * 32)) {
        names.push(e.name);
        last = e;
      }
    }
    assert.equal(names.length, INOTIFY_MAX_QUEUED_EVENTS + 1);
    assert.deepEqual(names.slice(0, 3), ['n0', 'n1', 'n2']);
    assert.equal(names[INOTIFY_MAX_QUEUED_EVENTS - 1], `n${INOTIFY_MAX_QUEUED_EVENTS - 1}`);
    assert.deepEqual(last && [last.wd, last.mask], [-1, IN.Q_OVERFLOW]);
    ino.ioctl(mem, FIONREAD, at);
    assert.equal(mem.read(at, 4).readInt32LE(0), 0);
  });

  it('IN_ONESHOT drops the watch after its first event with IN_IGNORED; rm_watch queues IN_IGNORED; closing forgets every watch', () => {
    const before = watchCount();
    const wd = ino.watch(file, IN.MODIFY | IN.ONESHOT, true);
    const d = ino.watch(dir, IN.CREATE, true);
    assert.equal(watchCount(), before + 2);
    const described = { watchable: { inode: file, parent: dir, path: '/f', writable: true } };
    modified(described, 1);
    modified(described, 1);
    accessed(described, 0);
    assert.deepEqual(readAll(ino).map((e) => [e.wd, e.mask]), [[wd, IN.MODIFY], [wd, IN.IGNORED]]);
    assert.equal(errnoOf(() => ino.unwatch(wd)), Errno.EINVAL);
    const other = new Inotify(O.NONBLOCK);
    other.watch(dir, IN.CREATE, true);
    ino.unwatch(d);
    assert.deepEqual(readAll(ino).map((e) => [e.wd, e.mask]), [[d, IN.IGNORED]]);
    assert.equal(watchCount(), before + 1);
    other.decRef();
    assert.equal(watchCount(), before);
  });
});
