import assert from 'node:assert/strict';
import { KeyedLock } from './keyed-lock';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('cri/runtime KeyedLock', () => {
  it('runs the operations of one key one after the other, in call order, past failures', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const op = (name: string, ms: number, fail = false) => async () => {
      log.push(`${name} start`);
      await tick(ms);
      log.push(`${name} end`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([lock.run('a', op('1', 30, true)), lock.run('a', op('2', 5)), lock.run('a', op('3', 1))]);
    assert.deepEqual(log, ['1 start', '1 end', '2 start', '2 end', '3 start', '3 end']);
    assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), ['1', '2', '3']);
    await tick(0);
    assert.equal(lock.size, 0);
  });

  it('lets different keys run at the same time', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const op = (name: string, ms: number) => async () => {
      log.push(`${name} start`);
      await tick(ms);
      log.push(`${name} end`);
    };
    await Promise.all([lock.run('a', op('a', 20)), lock.run('b', op('b', 1))]);
    assert.deepEqual(log, ['a start', 'b start', 'b end', 'a end']);
  });
});
