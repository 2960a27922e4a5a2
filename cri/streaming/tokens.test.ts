import assert from 'node:assert/strict';
import { TokenCache, TooManyInFlightError } from './tokens';

describe('streaming tokens', () => {
  it('are single-use', () => {
    const c = new TokenCache<string>();
    const t = c.insert('a');
    assert.match(t, /^[A-Za-z0-9_-]{24}$/);
    assert.equal(c.consume(t), 'a');
    assert.equal(c.consume(t), undefined);
    assert.equal(c.consume('nope'), undefined);
  });

  it('expire after the TTL and are collected on the next insert', () => {
    let now = 1000;
    const c = new TokenCache<string>(60_000, 10, () => now);
    const old = c.insert('old');
    now += 60_000;
    const fresh = c.insert('fresh');
    now += 1;
    assert.equal(c.consume(old), undefined);
    c.insert('x');
    assert.equal(c.size, 2);
    assert.equal(c.consume(fresh), 'fresh');
  });

  it('refuse more than the in-flight limit', () => {
    const c = new TokenCache<number>(60_000, 2);
    c.insert(1);
    c.insert(2);
    assert.throws(() => c.insert(3), TooManyInFlightError);
  });
});
