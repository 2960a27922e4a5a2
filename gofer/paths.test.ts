import { strict as assert } from 'node:assert';
import { isLinuxError } from '../sentry/errors/linuxerr';
import { checkName, child, hostPath, isWithin, parent } from './paths';

describe('gofer paths', () => {
  it('accepts only single real components', () => {
    for (const ok of ['a', '...', '.hidden', 'x'.repeat(255), 'ü']) checkName(ok);
    for (const bad of ['', '.', '..', 'a/b', '/', 'a\0b']) {
      assert.throws(() => checkName(bad), (e: unknown) => isLinuxError(e, 'EINVAL'), JSON.stringify(bad));
    }
    assert.throws(() => checkName('x'.repeat(256)), (e: unknown) => isLinuxError(e, 'ENAMETOOLONG'));
  });

  it('joins and climbs lexically, never above the root', () => {
    assert.equal(child('/', 'a'), '/a');
    assert.equal(child('/a', 'b'), '/a/b');
    assert.equal(parent('/a/b'), '/a');
    assert.equal(parent('/a'), '/');
    assert.equal(parent('/'), '/');
  });

  it('tells paths at or below a prefix apart from siblings', () => {
    assert.equal(isWithin('/a', '/a'), true);
    assert.equal(isWithin('/a/b', '/a'), true);
    assert.equal(isWithin('/ab', '/a'), false);
    assert.equal(isWithin('/x', '/'), true);
  });

  it('maps to host paths under the root, or as-is once chrooted', () => {
    assert.equal(hostPath('/srv/r', '/'), '/srv/r');
    assert.equal(hostPath('/srv/r', '/a/b'), '/srv/r/a/b');
    assert.equal(hostPath('/', '/a'), '/a');
  });
});
