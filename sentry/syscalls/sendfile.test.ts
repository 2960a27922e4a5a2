import assert from 'node:assert/strict';
import { Errno } from '../abi/linux/errno';
import { AT_FDCWD, O, SEEK } from '../abi/linux/fs';
import { MSG, SOL_SOCKET } from '../abi/linux/scm';
import { AF, SO, SOCK } from '../abi/linux/socket';
import type { SyscallName } from '../abi/linux/syscalls';
import type { Task } from '../kernel/task';
import { Block } from '../kernel/wait';
import { buildRootVfs } from '../vfs/mounts';
import { callRow, errnoOf, FakeGofer, FakeMemory, makeTask } from '../vfs/testkit';
import { fsRows } from './fs';
import { pipeRows } from './pipe';
import { socketRows } from './socket';

const rows = { ...fsRows, ...socketRows, ...pipeRows };
/** More than one of sendfile's internal chunks (1 MiB), within FakeMemory's 4 MiB. */
const SIZE = 2_500_000;

describe('sendfile', () => {
  let t: Task;
  let mem: FakeMemory;
  const call = (name: SyscallName, ...v: (number | bigint)[]): number => callRow(rows, t, name, ...v);
  const content = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i += 4) content.writeUInt32LE((i * 2654435761) >>> 0, i);

  /** A file holding `content`, positioned at 0. */
  function contentFile(): number {
    const fd = call('openat', AT_FDCWD, mem.str('/data'), O.RDWR | O.CREAT | O.TRUNC, 0o644);
    assert.equal(call('write', fd, mem.alloc(SIZE, content), SIZE), SIZE);
    call('lseek', fd, 0, SEEK.SET);
    return fd;
  }

  function pair(): [number, number] {
    const sv = mem.alloc(8);
    call('socketpair', AF.UNIX, SOCK.STREAM, 0, sv);
    const b = mem.read(sv, 8);
    return [b.readInt32LE(0), b.readInt32LE(4)];
  }

  /** Everything queued on `fd` now (MSG_DONTWAIT). */
  const buf = (): number => mem.alloc(1 << 16);
  function drain(fd: number, into: Buffer[], at = buf()): void {
    for (;;) {
      let n: number;
      try {
        n = call('recvfrom', fd, at, 1 << 16, MSG.DONTWAIT, 0, 0);
      } catch (e) {
        if (errnoOf(() => { throw e; }) === Errno.EAGAIN) return;
        throw e;
      }
      into.push(mem.read(at, n));
    }
  }

  beforeEach(() => {
    ({ task: t, mem } = makeTask((k) => buildRootVfs({ gofer: new FakeGofer(), overlay: 'memory', kernel: k, host: { cpuinfo: '', memTotalKb: 1 } })));
  });

  it('into a socket that fills up: the file position advances by what was written, a blocked call consumes nothing, no byte is lost', () => {
    const f = contentFile();
    const [x, y] = pair();
    call('setsockopt', x, SOL_SOCKET, SO.SNDBUF, mem.alloc(4, Buffer.from([0, 0x40, 0, 0])), 4); // 16 KiB
    const got: Buffer[] = [];
    const at = buf();
    let blocked = 0;
    for (let sent = 0; sent < SIZE; ) {
      let n: number;
      try {
        n = call('sendfile', x, f, 0, SIZE - sent);
      } catch (e) {
        if (!(e instanceof Block)) throw e;
        blocked++;
        assert.equal(call('lseek', f, 0, SEEK.CUR), sent, 'a blocked sendfile moved the file position');
        drain(y, got, at);
        continue;
      }
      sent += n;
      assert.equal(call('lseek', f, 0, SEEK.CUR), sent);
    }
    drain(y, got, at);
    assert.ok(blocked > 0, 'the socket never filled up: the test proves nothing');
    assert.ok(Buffer.concat(got).equals(content), 'the bytes arrived changed');
  });

  it('with an offset pointer: the offset advances, the file position does not', () => {
    const f = contentFile();
    const [x, y] = pair();
    const off = mem.alloc(8);
    mem.write(off, Buffer.from([10, 0, 0, 0, 0, 0, 0, 0]));
    assert.equal(call('sendfile', x, f, off, 100), 100);
    assert.equal(mem.read(off, 8).readBigInt64LE(0), 110n);
    assert.equal(call('lseek', f, 0, SEEK.CUR), 0);
    const got: Buffer[] = [];
    drain(y, got);
    assert.ok(Buffer.concat(got).equals(content.subarray(10, 110)));
  });

  it('from a socket or a pipe is EINVAL, as Linux (no data is taken from them)', () => {
    const f = contentFile();
    const [x, y] = pair();
    assert.equal(call('write', x, mem.alloc(5, Buffer.from('hello')), 5), 5);
    assert.equal(errnoOf(() => call('sendfile', f, y, 0, 5)), Errno.EINVAL);
    const p = mem.alloc(8);
    call('pipe2', p, 0);
    const [r, w] = [mem.read(p, 4).readInt32LE(0), mem.read(p + 4, 4).readInt32LE(0)];
    assert.equal(call('write', w, mem.alloc(5, Buffer.from('hello')), 5), 5);
    assert.equal(errnoOf(() => call('sendfile', x, r, 0, 5)), Errno.EINVAL);
    const got: Buffer[] = [];
    drain(y, got);
    assert.equal(Buffer.concat(got).toString(), 'hello');
  });
});
