import { strict as assert } from 'node:assert';
import { HostFdCache } from './hostfds';

describe('HostFdCache', () => {
  const make = (limit: number): { cache: HostFdCache<string>; closed: number[] } => {
    const closed: number[] = [];
    return { cache: new HostFdCache<string>(limit, (fd) => closed.push(fd)), closed };
  };

  it('closes the least recently used descriptor past the limit', () => {
    const { cache, closed } = make(2);
    cache.add('a', 10);
    cache.add('b', 11);
    assert.equal(cache.get('a'), 10); // b is now the oldest
    cache.add('c', 12);
    assert.deepEqual(closed, [11]);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.size, 2);
    cache.add('b', 13);
    assert.deepEqual(closed, [11, 10]);
  });

  it('closes a replaced descriptor, a dropped one, and all on clear', () => {
    const { cache, closed } = make(4);
    cache.add('a', 10);
    cache.add('a', 11);
    cache.add('b', 12);
    cache.drop('b');
    cache.drop('missing');
    assert.deepEqual(closed, [10, 12]);
    cache.add('c', 13);
    cache.clear();
    assert.deepEqual(closed, [10, 12, 11, 13]);
    assert.equal(cache.size, 0);
  });
});
