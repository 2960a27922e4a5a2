import * as assert from 'assert';
import { fmt, median, slope, table } from './stats';

describe('bench stats', () => {
  it('median of odd, even and empty samples', () => {
    assert.strictEqual(median([5, 1, 3]), 3);
    assert.strictEqual(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it('formats missing numbers as n/a', () => {
    assert.strictEqual(fmt(1.23456, 2), '1.23');
    assert.strictEqual(fmt(NaN), 'n/a');
    assert.strictEqual(fmt(Infinity), 'n/a');
  });

  it('renders an aligned table', () => {
    assert.strictEqual(table([['a', 'bb'], ['ccc', 'd']]), 'a    bb\n---  --\nccc  d');
  });

  it('fits a slope by least squares', () => {
    assert.strictEqual(slope([0, 5, 10], [100, 90, 80]), -2);
    assert.strictEqual(slope([5, 10, 15], [10, 21, 30]), 2);
    assert.ok(Number.isNaN(slope([3, 3], [1, 2])));
  });
});
