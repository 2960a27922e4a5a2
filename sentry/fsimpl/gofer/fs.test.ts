import assert from 'node:assert/strict';
import { FakeGofer } from '../../vfs/testkit';
import { GoferFs } from './fs';

/** A FakeGofer that counts the walks the Sentry sends. */
class CountingGofer extends FakeGofer {
  walks: string[][] = [];

  override walk(fid: number, names: string[]): ReturnType<FakeGofer['walk']> {
    this.walks.push(names);
    return super.walk(fid, names);
  }
}

describe('GoferFs lookups', () => {
  it('asks once for a missing name on the read-only image', () => {
    const g = new CountingGofer();
    g.add('etc', 'dir');
    const fs = new GoferFs(g, 1, true);
    const etc = fs.root.lookup('etc');
    assert.ok(etc);
    for (let i = 0; i < 3; i++) assert.equal(etc.lookup('ld.so.preload'), undefined);
    assert.deepEqual(g.walks.filter((w) => w[0] === 'ld.so.preload'), [['ld.so.preload']]);
    // Names that exist are still found (and cached as before).
    g.add('etc/hosts', 'file', 'x');
    assert.ok(etc.lookup('hosts'));
  });

  it('asks again on a writable tree, where another container may create the name', () => {
    const g = new CountingGofer();
    const fs = new GoferFs(g, 1, false);
    assert.equal(fs.root.lookup('ready'), undefined);
    assert.equal(fs.root.lookup('ready'), undefined);
    assert.equal(g.walks.filter((w) => w[0] === 'ready').length, 2);
    g.add('ready', 'file', 'now');
    assert.ok(fs.root.lookup('ready'));
  });

  it('finds a name the Sentry created after it was missing', () => {
    const g = new CountingGofer();
    const fs = new GoferFs(g, 1, false);
    assert.equal(fs.root.lookup('new'), undefined);
    fs.root.create('new', 0o644, { uid: 0, gid: 0 });
    assert.ok(fs.root.lookup('new'));
  });
});
