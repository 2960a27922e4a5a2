import assert from 'node:assert/strict';
import { LockManager, OFFSET_MAX, RecordRequest, RecordType } from './locks';

const F = 'dev:ino';

function req(owner: object, type: RecordType | undefined, start: number, end: bigint | number, pid = 1): RecordRequest {
  return { owner, ofd: false, pid, type, start: BigInt(start), end: BigInt(end) };
}

/** An owner's locks as "type start-end" strings, in order. */
function held(m: LockManager, owner: object): string[] {
  return m.records(F).filter((l) => l.owner === owner).map((l) => `${l.type[0]} ${l.start}-${l.end === OFFSET_MAX ? 'max' : l.end}`);
}

describe('kernel/locks: record locks', () => {
  it('conflicts only between owners, and only with a writer involved', () => {
    const m = new LockManager();
    const a = {};
    const b = {};
    assert.equal(m.setRecord(F, req(a, 'read', 0, 9)), undefined);
    assert.equal(m.setRecord(F, req(b, 'read', 5, 15)), undefined, 'readers share');
    const c = m.setRecord(F, req(b, 'write', 9, 9));
    assert.equal(c?.owner, a, 'write over a reader conflicts');
    assert.deepEqual(held(m, b), ['r 5-15'], 'a failed request changes nothing');
    assert.equal(m.setRecord(F, req(a, 'write', 0, 4)), undefined, 'own locks never conflict');
    assert.equal(m.testRecord(F, req(b, 'read', 0, 0))?.type, 'write');
    assert.equal(m.testRecord(F, req(b, 'read', 16, OFFSET_MAX)), undefined);
  });

  it('merges adjacent and overlapping locks of one type, splits on unlock and type change', () => {
    const m = new LockManager();
    const a = {};
    m.setRecord(F, req(a, 'read', 0, 9));
    m.setRecord(F, req(a, 'read', 10, 19));
    assert.deepEqual(held(m, a), ['r 0-19']);
    m.setRecord(F, req(a, 'write', 5, 14));
    assert.deepEqual(held(m, a), ['r 0-4', 'w 5-14', 'r 15-19']);
    m.setRecord(F, req(a, 'read', 5, 14));
    assert.deepEqual(held(m, a), ['r 0-19'], 'a downgrade merges back');
    m.setRecord(F, req(a, undefined, 8, 11));
    assert.deepEqual(held(m, a), ['r 0-7', 'r 12-19']);
    m.setRecord(F, req(a, 'write', 30, OFFSET_MAX));
    m.setRecord(F, req(a, 'write', 20, 29));
    assert.deepEqual(held(m, a), ['r 0-7', 'r 12-19', 'w 20-max']);
    m.setRecord(F, req(a, 'read', 0, OFFSET_MAX));
    assert.deepEqual(held(m, a), ['r 0-max']);
    m.releaseRecords(a, F);
    assert.deepEqual(held(m, a), []);
    assert.equal(m.holdsRecords(a), false);
  });

  it('wakes waiters when a lock is released or weakened, not when one is taken', () => {
    const m = new LockManager();
    const a = {};
    let wakes = 0;
    m.setRecord(F, req(a, 'write', 0, 9));
    m.queue(F).add(() => wakes++);
    m.setRecord(F, req(a, 'write', 20, 29));
    assert.equal(wakes, 0);
    m.setRecord(F, req(a, 'read', 0, 9));
    assert.equal(wakes, 1);
    m.setRecord(F, req(a, undefined, 20, 20));
    assert.equal(wakes, 2);
  });

  it('POSIX and OFD owners conflict; OFD locks never count for deadlocks', () => {
    const m = new LockManager();
    const table = {};
    const ofd = {};
    m.setRecord(F, { owner: ofd, ofd: true, pid: -1, type: 'write', start: 0n, end: 9n });
    const c = m.setRecord(F, req(table, 'read', 0, 0));
    assert.equal(c?.ofd, true);
    assert.equal(m.wouldDeadlock(table, c!), false);
  });

  it('finds a deadlock through the chain of waiting owners', () => {
    const m = new LockManager();
    const [a, b, c] = [{}, {}, {}];
    const [ta, tb] = [{}, {}];
    m.setRecord(F, req(a, 'write', 0, 0));
    m.setRecord(F, req(b, 'write', 1, 1));
    m.setRecord(F, req(c, 'write', 2, 2));
    // a waits for b's lock, b waits for c's.
    m.startWaiting(ta, a, m.setRecord(F, req(a, 'write', 1, 1))!);
    m.startWaiting(tb, b, m.setRecord(F, req(b, 'write', 2, 2))!);
    const blocker = m.setRecord(F, req(c, 'write', 0, 0))!;
    assert.equal(blocker.owner, a);
    assert.equal(m.wouldDeadlock(c, blocker), true, 'c → a → b → c');
    m.stopWaiting(tb);
    assert.equal(m.wouldDeadlock(c, blocker), false);
  });
});

describe('kernel/locks: flock', () => {
  it('shared locks coexist, exclusive ones exclude, unlock is idempotent', () => {
    const m = new LockManager();
    const [a, b] = [{}, {}];
    assert.equal(m.flock(F, a, 'shared'), true);
    assert.equal(m.flock(F, b, 'shared'), true);
    assert.equal(m.flock(F, b, 'exclusive'), false, 'a still shares');
    assert.equal(m.flock(F, a, undefined), true);
    assert.equal(m.flock(F, a, undefined), true);
    assert.equal(m.flock(F, b, 'exclusive'), true, 'b held nothing after its failed conversion');
    assert.equal(m.flock(F, a, 'shared'), false);
    m.releaseDescription(b, F);
    assert.equal(m.flock(F, a, 'exclusive'), true);
  });

  it('a conversion drops the old lock first and wakes waiters', () => {
    const m = new LockManager();
    const [a, b] = [{}, {}];
    let wakes = 0;
    m.flock(F, a, 'shared');
    m.flock(F, b, 'shared');
    m.queue(F).add(() => wakes++);
    assert.equal(m.flock(F, a, 'exclusive'), false);
    assert.equal(wakes, 1);
    assert.equal(m.flock(F, b, 'exclusive'), true, 'a holds nothing now');
  });

  it('is separate from record locks', () => {
    const m = new LockManager();
    const [a, b] = [{}, {}];
    m.setRecord(F, req(a, 'write', 0, OFFSET_MAX));
    assert.equal(m.flock(F, b, 'exclusive'), true);
  });
});
