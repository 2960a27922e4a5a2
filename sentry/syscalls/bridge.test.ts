import assert from 'node:assert/strict';
import { SIOC_BRIDGE } from '../abi/linux/bridge';
import { Errno } from '../abi/linux/errno';
import { AF, SOCK } from '../abi/linux/socket';
import { buildRootVfs } from '../vfs/mounts';
import { callRow, errnoOf, FakeGofer, makeTask } from '../vfs/testkit';
import { fsRows } from './fs';
import { socketRows } from './socket';

const rows = { ...fsRows, ...socketRows };

describe('bridge ioctls', () => {
  it('are ENOPKG on any socket, as Linux without the bridge module answers (even with CAP_NET_ADMIN)', () => {
    const { task, mem } = makeTask((k) => buildRootVfs({ gofer: new FakeGofer(), overlay: 'memory', kernel: k, host: { cpuinfo: '', memTotalKb: 1 } }));
    const fd = callRow(rows, task, 'socket', AF.UNIX, SOCK.STREAM, 0);
    const name = mem.str('foobar');
    for (const cmd of Object.values(SIOC_BRIDGE)) assert.equal(errnoOf(() => callRow(rows, task, 'ioctl', fd, cmd, name)), Errno.ENOPKG, `ioctl ${cmd.toString(16)}`);
    // Not a socket: the file's own answer.
    const dir = callRow(rows, task, 'open', mem.str('/'), 0o200000, 0);
    assert.equal(errnoOf(() => callRow(rows, task, 'ioctl', dir, SIOC_BRIDGE.BRADDBR, name)), Errno.ENOTTY);
  });
});
