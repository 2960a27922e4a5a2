import assert from 'node:assert/strict';
import { nativeValues } from '../../testing/native';
import { IOPRIO_CLASS, IOPRIO_CLASS_SHIFT, IOPRIO_DEFAULT, IOPRIO_WHO, SCHED, SCHED_ATTR, SCHED_FLAG, SCHED_FLAG_ALL, SCHED_RESET_ON_FORK } from './sched';

const C = `#include <stdio.h>
#include <stddef.h>
#include <linux/sched.h>
#include <linux/sched/types.h>
#include <linux/ioprio.h>
#define P(n, v) printf("%s %ld\\n", n, (long)(v))
#define F(f) P("attr." #f, offsetof(struct sched_attr, f))
int main(void) {
  P("NORMAL", SCHED_NORMAL); P("FIFO", SCHED_FIFO); P("RR", SCHED_RR); P("BATCH", SCHED_BATCH); P("IDLE", SCHED_IDLE);
  P("DEADLINE", SCHED_DEADLINE); P("RESET_ON_FORK", SCHED_RESET_ON_FORK); P("FLAG_ALL", SCHED_FLAG_ALL);
  P("RESET_ON_FORK_FLAG", SCHED_FLAG_RESET_ON_FORK); P("KEEP_POLICY", SCHED_FLAG_KEEP_POLICY); P("KEEP_PARAMS", SCHED_FLAG_KEEP_PARAMS);
  P("UTIL_CLAMP_MIN", SCHED_FLAG_UTIL_CLAMP_MIN); P("UTIL_CLAMP_MAX", SCHED_FLAG_UTIL_CLAMP_MAX);
  P("VER0", SCHED_ATTR_SIZE_VER0); P("VER1", SCHED_ATTR_SIZE_VER1); P("attr", sizeof(struct sched_attr));
  F(sched_policy); F(sched_flags); F(sched_nice); F(sched_priority); F(sched_runtime); F(sched_deadline); F(sched_period);
  F(sched_util_min); F(sched_util_max);
  P("WHO_PROCESS", IOPRIO_WHO_PROCESS); P("WHO_PGRP", IOPRIO_WHO_PGRP); P("WHO_USER", IOPRIO_WHO_USER);
  P("CLASS_RT", IOPRIO_CLASS_RT); P("CLASS_BE", IOPRIO_CLASS_BE); P("CLASS_IDLE", IOPRIO_CLASS_IDLE);
  P("CLASS_SHIFT", IOPRIO_CLASS_SHIFT); P("DEFAULT", IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, IOPRIO_BE_NORM));
  return 0;
}`;

describe('scheduling ABI against the kernel headers', () => {
  it('policies, sched_attr, its flags and the I/O priority encoding match', () => {
    const n = nativeValues(C);
    for (const [k, v] of Object.entries(SCHED)) assert.equal(n.get(k), v, k);
    assert.equal(n.get('RESET_ON_FORK'), SCHED_RESET_ON_FORK);
    assert.equal(n.get('FLAG_ALL'), SCHED_FLAG_ALL);
    assert.equal(n.get('RESET_ON_FORK_FLAG'), SCHED_FLAG.RESET_ON_FORK);
    for (const k of ['KEEP_POLICY', 'KEEP_PARAMS', 'UTIL_CLAMP_MIN', 'UTIL_CLAMP_MAX'] as const) assert.equal(n.get(k), SCHED_FLAG[k], k);
    assert.equal(n.get('VER0'), SCHED_ATTR.SIZE_VER0);
    assert.equal(n.get('VER1'), SCHED_ATTR.SIZE_VER1);
    assert.equal(n.get('attr'), SCHED_ATTR.SIZE_VER1);
    const fields = { policy: 'sched_policy', flags: 'sched_flags', nice: 'sched_nice', priority: 'sched_priority', runtime: 'sched_runtime',
      deadline: 'sched_deadline', period: 'sched_period', utilMin: 'sched_util_min', utilMax: 'sched_util_max' } as const;
    for (const [k, c] of Object.entries(fields)) assert.equal(n.get(`attr.${c}`), SCHED_ATTR[k as keyof typeof fields], k);
    for (const k of ['PROCESS', 'PGRP', 'USER'] as const) assert.equal(n.get(`WHO_${k}`), IOPRIO_WHO[k]);
    for (const k of ['RT', 'BE', 'IDLE'] as const) assert.equal(n.get(`CLASS_${k}`), IOPRIO_CLASS[k]);
    assert.equal(n.get('CLASS_SHIFT'), IOPRIO_CLASS_SHIFT);
    assert.equal(n.get('DEFAULT'), IOPRIO_DEFAULT);
  });
});
