import assert from 'node:assert/strict';
import { restoreAppEnv, SAVED_CA_CERTS_ENV } from './do';

describe('do: the app environment', () => {
  it("gives back the NODE_EXTRA_CA_CERTS bin/tsvisor emptied for the Sentry's Node, in its place", () => {
    const env: NodeJS.ProcessEnv = { A: '1', NODE_EXTRA_CA_CERTS: '', B: '2', [SAVED_CA_CERTS_ENV]: '/etc/ssl/ca.pem' };
    restoreAppEnv(env);
    assert.deepEqual(Object.entries(env), [['A', '1'], ['NODE_EXTRA_CA_CERTS', '/etc/ssl/ca.pem'], ['B', '2']]);
  });

  it('leaves an environment without the saved value alone', () => {
    const env: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '' };
    restoreAppEnv(env);
    assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '' });
  });
});
