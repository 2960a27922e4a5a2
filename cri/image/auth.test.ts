import * as assert from 'node:assert/strict';
import { basicCredentials, parseChallenges } from './auth';

describe('cri/image registry auth', () => {
  it('parses WWW-Authenticate challenges (quoted, bare, escaped, several)', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
    assert.deepEqual(parseChallenges('Basic realm="a \\"b\\"", Bearer realm=x, error=insufficient_scope'), [
      { scheme: 'basic', params: { realm: 'a "b"' } },
      { scheme: 'bearer', params: { realm: 'x', error: 'insufficient_scope' } },
    ]);
    assert.deepEqual(parseChallenges(''), []);
  });

  it('takes credentials from username/password or the base64 auth field', () => {
    assert.deepEqual(basicCredentials({ username: 'u', password: 'p' }), { username: 'u', password: 'p' });
    assert.deepEqual(basicCredentials({ auth: Buffer.from('u:p:with:colons').toString('base64') }), { username: 'u', password: 'p:with:colons' });
    assert.equal(basicCredentials({}), undefined);
    assert.equal(basicCredentials(undefined), undefined);
    assert.throws(() => basicCredentials({ auth: Buffer.from('nocolon').toString('base64') }), /expected base64 of user:password/);
  });
});
