import assert from 'node:assert/strict';
import { CAP } from '../../abi/linux/capability';
import { IPC_PRIVATE, MSG } from '../../abi/linux/ipc';
import { isLinuxError } from '../../errors/linuxerr';
import type { IpcCreds } from './ipc';
import { MsgNamespace } from './msg';

const ROOT: IpcCreds = { euid: 0, egid: 0, groups: [], hasCap: (c) => c === CAP.IPC_OWNER };

describe('System V message queues', () => {
  const space = (msgmni = 4): MsgNamespace => new MsgNamespace(() => ({ msgmax: 8192, msgmnb: 10, msgmni }), () => 1000);

  it('msgrcv picks by type: the first, of a type, of another type, the lowest up to a bound', () => {
    const ns = space();
    const q = ns.get(IPC_PRIVATE, 0o600, ROOT);
    for (const [type, text] of [[3n, 'c'], [1n, 'a'], [2n, 'b'], [1n, 'A']] as const) ns.send(q, { type, text: Buffer.from(text) }, 5);
    const text = (i: number): string => q.messages[i].text.toString();
    assert.equal(text(ns.find(q, 0n, 0)), 'c');
    assert.equal(text(ns.find(q, 1n, 0)), 'a');
    assert.equal(text(ns.find(q, 1n, MSG.EXCEPT)), 'c');
    assert.equal(text(ns.find(q, -2n, 0)), 'a', 'the lowest type, first of its kind');
    assert.equal(ns.find(q, 9n, 0), -1);
    ns.take(q, ns.find(q, 2n, 0), 6);
    assert.deepEqual([q.messages.length, q.bytes, q.lspid, q.lrpid], [3, 3, 5, 6]);
  });

  it('msg_qbytes bounds both the bytes and the number of messages; msgmni the queues', () => {
    const ns = space(1);
    const q = ns.get(IPC_PRIVATE, 0o600, ROOT);
    assert.equal(ns.fits(q, 10), true);
    assert.equal(ns.fits(q, 11), false);
    for (let i = 0; i < 10; i++) ns.send(q, { type: 1n, text: Buffer.alloc(0) }, 1);
    assert.equal(ns.fits(q, 0), false, 'ten empty messages fill a queue of 10 bytes');
    assert.throws(() => ns.get(IPC_PRIVATE, 0o600, ROOT), (e: unknown) => isLinuxError(e, 'ENOSPC'));
    ns.remove(q);
    assert.deepEqual([q.removed, q.messages.length, ns.queues().length], [true, 0, 0]);
  });
});
