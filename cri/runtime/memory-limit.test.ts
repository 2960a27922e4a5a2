import assert from 'node:assert/strict';
import { defaults } from '../proto/codec';
import { memoryLimitOf } from './containers';

describe('cri/runtime memoryLimitOf: memory_limit_in_bytes as the Sentry enforces it', () => {
  const of = (v: string): number => memoryLimitOf({ ...defaults('LinuxContainerResources'), memory_limit_in_bytes: v });

  it('absent, 0 or negative is no limit; bytes otherwise, capped at the largest safe integer', () => {
    assert.equal(memoryLimitOf(undefined), 0);
    assert.equal(memoryLimitOf(null), 0);
    assert.equal(of(''), 0);
    assert.equal(of('0'), 0);
    assert.equal(of('-1'), 0);
    assert.equal(of('15728640'), 15 * 1024 * 1024);
    assert.equal(of('9223372036854775807'), Number.MAX_SAFE_INTEGER);
  });

  it('refuses a value that is not an integer', () => {
    assert.throws(() => of('12M'), /memory_limit_in_bytes "12M" is not an integer/);
  });
});
