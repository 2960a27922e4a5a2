import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { defaultLimits, formatLimits, RLIM_INFINITY, RLIMIT } from '../sentry/kernel/limits';
import { callerLimits, NOFILE_SOFT_ENV, restoreAppEnv, SAVED_CA_CERTS_ENV } from './do';

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

describe('do: the limits the command starts with', () => {
  const limits = formatLimits(defaultLimits().map((l, r) => (r === RLIMIT.NOFILE ? { cur: 20000n, max: 20000n } : r === RLIMIT.STACK ? { cur: 4n << 20n, max: RLIM_INFINITY } : l)));

  it("are the caller's, with the open-file soft limit bin/tsvisor noted, which leaves the app's environment", () => {
    const env: NodeJS.ProcessEnv = { A: '1', [NOFILE_SOFT_ENV]: '1024' };
    const got = callerLimits(env, limits);
    assert.deepEqual(got[RLIMIT.NOFILE], { cur: 1024n, max: 20000n });
    assert.deepEqual(got[RLIMIT.STACK], { cur: 4n << 20n, max: RLIM_INFINITY });
    assert.deepEqual(env, { A: '1' });
    assert.equal(formatLimits(callerLimits({}, formatLimits(got))), formatLimits(got));
  });

  it('ignore a noted soft limit that is not a number or is above the hard one', () => {
    for (const soft of ['abc', '30000', '']) assert.deepEqual(callerLimits({ [NOFILE_SOFT_ENV]: soft }, limits)[RLIMIT.NOFILE], { cur: 20000n, max: 20000n });
  });

  it("without a limits file, Linux's container defaults (and the noted soft limit under their hard one)", () => {
    const got = callerLimits({ [NOFILE_SOFT_ENV]: '1024' }, '');
    assert.equal(formatLimits(got.map((l, r) => (r === RLIMIT.NOFILE ? defaultLimits()[r] : l))), formatLimits(defaultLimits()));
    assert.deepEqual(got[RLIMIT.NOFILE], { cur: 1024n, max: 1048576n });
  });

  it("read this process's own /proc/self/limits whole", () => {
    const text = readFileSync('/proc/self/limits', 'utf8');
    assert.equal(formatLimits(callerLimits({}, text)), text);
  });
});
