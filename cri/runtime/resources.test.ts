import assert from 'node:assert/strict';
import { defaults } from '../proto/codec';
import { status } from '@grpc/grpc-js';
import { CriError } from '../server/errors';
import { cpuSettingsOf, memoryLimitOf } from './containers';

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

describe('cri/runtime cpuSettingsOf: the CPU settings a container\'s cgroup shows, as runc writes them on cgroup v2', () => {
  const of = (quota: string, period: string, shares: string) =>
    cpuSettingsOf({ ...defaults('LinuxContainerResources'), cpu_quota: quota, cpu_period: period, cpu_shares: shares });

  it('unset fields stay unset (the Sentry shows "max 100000" and weight 100)', () => {
    assert.deepEqual(cpuSettingsOf(undefined), { cpuMax: undefined, cpuWeight: undefined });
    assert.deepEqual(of('', '0', ''), { cpuMax: undefined, cpuWeight: undefined });
  });

  it('quota and period make cpu.max (a quota alone at the default period, -1 is max); shares make cpu.weight', () => {
    assert.deepEqual(of('50000', '100000', '512'), { cpuMax: '50000 100000', cpuWeight: 20 });
    assert.deepEqual(of('25000', '', '2'), { cpuMax: '25000 100000', cpuWeight: 1 });
    assert.deepEqual(of('-1', '50000', '262144'), { cpuMax: 'max 50000', cpuWeight: 10000 });
    assert.deepEqual(of('', '', '1024'), { cpuMax: undefined, cpuWeight: 39 });
  });

  it('refuses malformed values and periods Linux refuses, as InvalidArgument', () => {
    for (const [q, p] of [['1.5', ''], ['', 'x'], ['50000', '999'], ['50000', '1000001']]) {
      assert.throws(() => of(q, p, ''), (e: unknown) => e instanceof CriError && e.code === status.INVALID_ARGUMENT, `${q} ${p}`);
    }
  });
});
