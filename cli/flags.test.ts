import assert from 'node:assert/strict';
import { parseFlags, UsageError } from './flags';

const spec = { boolean: new Set(['strace']), valued: new Set(['rootfs', 'overlay']) };

describe('flag parsing', () => {
  it('takes --k=v, --k v, booleans, and stops at -- or the first non-flag', () => {
    const p = parseFlags(['--rootfs', '/r', '--overlay=none', '--strace', '--', '--not-a-flag'], spec);
    assert.deepEqual([...p.flags], [['rootfs', '/r'], ['overlay', 'none'], ['strace', true]]);
    assert.deepEqual(p.rest, ['--not-a-flag']);
    assert.deepEqual(parseFlags(['ls', '--strace'], spec).rest, ['ls', '--strace']);
  });

  it('rejects unknown flags, missing values and values on booleans', () => {
    assert.throws(() => parseFlags(['--bogus'], spec), UsageError);
    assert.throws(() => parseFlags(['--rootfs'], spec), /needs a value/);
    assert.throws(() => parseFlags(['--strace=1'], spec), /takes no value/);
  });
});
