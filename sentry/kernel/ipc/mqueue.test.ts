import assert from 'node:assert/strict';
import { Errno } from '../../abi/linux/errno';
import { errnoOf } from '../../vfs/testkit';
import { Credentials } from '../creds';
import { checkName, MqNamespace, queueBytes } from './mqueue';

const LIMITS = { msgMax: 10, msgsizeMax: 8192, queuesMax: 2, msgDefault: 10, msgsizeDefault: 8192 };
const nobody = () => {
  const c = new Credentials(65534, 65534);
  c.caps = { ...c.caps, effective: 0n, permitted: 0n };
  return c;
};

describe('kernel/ipc/mqueue', () => {
  it('orders messages by priority, then by arrival, and reports when a notification is due', () => {
    const q = new MqNamespace(() => LIMITS).create('q', 0o600, undefined, new Credentials(), 1n << 40n);
    q.notification = { owner: {} as never, notify: 0, signo: 10, value: 0n };
    assert.equal(q.push(1, Buffer.from('a')), true); // empty before, nobody waiting
    assert.equal(q.push(5, Buffer.from('bb')), false);
    assert.equal(q.push(1, Buffer.from('ccc')), false);
    assert.equal(q.bytes, 6);
    assert.deepEqual([q.shift(), q.shift(), q.shift()].map((m) => m?.data.toString()), ['bb', 'a', 'ccc']);
    assert.equal(q.shift(), undefined);
    const waiter = { tid: 7, kernel: { tasks: new Map<number, unknown>() } };
    waiter.kernel.tasks.set(7, waiter);
    q.receivers.add(waiter as never);
    q.shift();
    assert.equal(q.push(0, Buffer.from('x')), false); // a waiting receiver takes it
    q.shift();
    waiter.kernel.tasks.delete(7); // killed while waiting
    assert.equal(q.push(0, Buffer.from('y')), true);
  });

  it('checks sizes against fs.mqueue limits (CAP_SYS_RESOURCE: the hard ones) and queues_max', () => {
    const ns = new MqNamespace(() => LIMITS);
    assert.equal(errnoOf(() => ns.create('a', 0o600, { maxmsg: 11, msgsize: 1 }, nobody(), 1n << 40n)), Errno.EINVAL);
    assert.equal(errnoOf(() => ns.create('a', 0o600, { maxmsg: 0, msgsize: 1 }, nobody(), 1n << 40n)), Errno.EINVAL);
    assert.equal(ns.create('a', 0o600, { maxmsg: 100, msgsize: 1 }, new Credentials(), 1n << 40n).maxmsg, 100);
    assert.equal(errnoOf(() => ns.create('b', 0o600, { maxmsg: 65537, msgsize: 1 }, new Credentials(), 1n << 40n)), Errno.EINVAL);
    ns.create('b', 0o600, undefined, nobody(), 1n << 40n);
    assert.equal(errnoOf(() => ns.create('c', 0o600, undefined, nobody(), 1n << 40n)), Errno.ENOSPC);
  });

  it('charges RLIMIT_MSGQUEUE bytes until the queue is unlinked and closed', () => {
    const ns = new MqNamespace(() => LIMITS);
    const limit = BigInt(queueBytes(10, 8192) + 100);
    assert.equal(queueBytes(10, 8192), 82880);
    const q = ns.create('a', 0o600, undefined, nobody(), limit);
    q.opens++;
    assert.equal(errnoOf(() => ns.create('b', 0o600, undefined, nobody(), limit)), Errno.EMFILE);
    ns.unlink('a', nobody());
    assert.equal(errnoOf(() => ns.create('b', 0o600, undefined, nobody(), limit)), Errno.EMFILE);
    ns.closed(q);
    ns.create('b', 0o600, undefined, nobody(), limit);
  });

  it('names: ENOENT when empty, EACCES for slashes and dot names, ENAMETOOLONG past 255 bytes', () => {
    assert.equal(errnoOf(() => checkName('')), Errno.ENOENT);
    assert.equal(errnoOf(() => checkName('a/b')), Errno.EACCES);
    assert.equal(errnoOf(() => checkName('..')), Errno.EACCES);
    assert.equal(errnoOf(() => checkName('x'.repeat(256))), Errno.ENAMETOOLONG);
    checkName('x'.repeat(255));
  });

  it('unlink: ENOENT for no such queue, EPERM (sticky root) for another user without CAP_FOWNER', () => {
    const ns = new MqNamespace(() => LIMITS);
    ns.create('a', 0o644, undefined, new Credentials(), 1n << 40n);
    assert.equal(errnoOf(() => ns.unlink('a', nobody())), Errno.EPERM);
    assert.equal(errnoOf(() => ns.unlink('zz', nobody())), Errno.ENOENT);
  });
});
