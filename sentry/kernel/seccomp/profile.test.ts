import assert from 'node:assert/strict';
import { SECCOMP_RET } from '../../abi/linux/seccomp';
import { SYS } from '../../abi/linux/syscalls';
import { runProgram } from './bpf';
import { actionValue, compileProfile, type SeccompArg, type SeccompProfile } from './profile';

const ctx = { caps: ['CAP_CHOWN', 'CAP_SYS_ADMIN'], kernel: [4, 4] as [number, number] };

function data(nr: number, args: bigint[] = [], arch = 0xc000003e): Buffer {
  const b = Buffer.alloc(64);
  b.writeInt32LE(nr | 0, 0);
  b.writeUInt32LE(arch, 4);
  args.forEach((v, i) => b.writeBigUInt64LE(BigInt.asUintN(64, v), 16 + 8 * i));
  return b;
}

/** The profile's meaning, evaluated directly: the reference the compiled program must agree with. */
function reference(p: SeccompProfile, nr: number, args: bigint[]): number {
  const holds = (c: SeccompArg): boolean => {
    const a = args[c.index] ?? 0n;
    const v = BigInt(c.value);
    switch (c.op) {
      case 'SCMP_CMP_EQ': return a === v;
      case 'SCMP_CMP_NE': return a !== v;
      case 'SCMP_CMP_LT': return a < v;
      case 'SCMP_CMP_LE': return a <= v;
      case 'SCMP_CMP_GT': return a > v;
      case 'SCMP_CMP_GE': return a >= v;
      case 'SCMP_CMP_MASKED_EQ': return (a & v) === BigInt(c.valueTwo ?? 0);
      default: throw new Error(c.op);
    }
  };
  for (const r of p.syscalls ?? []) {
    if (r.includes?.caps && !r.includes.caps.every((c) => ctx.caps.includes(c))) continue;
    if ((r.names ?? []).some((n) => SYS[n as keyof typeof SYS] === nr) && (r.args ?? []).every(holds)) return actionValue(r.action, r.errnoRet);
  }
  return actionValue(p.defaultAction, p.defaultErrnoRet);
}

describe('seccomp profiles compiled to BPF', () => {
  it('names, actions, errnoRet, the default action, the arch and x32 checks', () => {
    const p: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38,
      syscalls: [
        { names: ['read', 'write', 'no_such_syscall'], action: 'SCMP_ACT_ALLOW' },
        { names: ['chmod', 'fchmodat'], action: 'SCMP_ACT_ERRNO' },
        { names: ['sethostname'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['getpid'], action: 'SCMP_ACT_TRAP' },
        { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: ['reboot'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_BOOT'] } },
        { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
        { names: ['kill'], action: 'SCMP_ACT_ALLOW', excludes: { caps: ['CAP_CHOWN'] } },
        { names: ['getuid'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
      ],
    };
    const prog = compileProfile(p, ctx);
    const run = (nr: number) => runProgram(prog, data(nr));
    assert.equal(run(SYS.read), SECCOMP_RET.ALLOW);
    assert.equal(run(SYS.chmod), SECCOMP_RET.ERRNO | 1);
    assert.equal(run(SYS.sethostname), SECCOMP_RET.ERRNO | 13);
    assert.equal(run(SYS.getpid), SECCOMP_RET.TRAP);
    assert.equal(run(SYS.mount), SECCOMP_RET.ALLOW);
    for (const nr of [SYS.reboot, SYS.ptrace, SYS.kill, SYS.getuid, SYS.close]) assert.equal(run(nr), SECCOMP_RET.ERRNO | 38, `nr ${nr}`);
    assert.equal(run(SYS.read | 0x40000000), SECCOMP_RET.ERRNO | 38, 'x32 numbers get the default action');
    assert.equal(runProgram(prog, data(SYS.read, [], 0x40000003)), SECCOMP_RET.KILL_THREAD, 'another architecture is killed');
  });

  it('argument conditions agree with a direct evaluation of the rules on edge and random values', () => {
    const big = 2 ** 40 + 5;
    const p: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
        { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_NE' }] },
        { names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }, { index: 1, value: big, op: 'SCMP_CMP_LE' }] },
        { names: ['socket'], action: 'SCMP_ACT_KILL_PROCESS', args: [{ index: 0, value: 40, op: 'SCMP_CMP_GE' }, { index: 0, value: big, op: 'SCMP_CMP_LT' }] },
        { names: ['socket'], action: 'SCMP_ACT_LOG', args: [{ index: 2, value: big, op: 'SCMP_CMP_GT' }] },
        { names: ['mmap'], action: 'SCMP_ACT_TRACE', errnoRet: 5, args: [{ index: 5, value: 3, op: 'SCMP_CMP_LT' }] },
      ],
    };
    const prog = compileProfile(p, ctx);
    const edges = [0n, 1n, 3n, 8n, 39n, 40n, 41n, 0xffffffffn, 0x100000000n, 0x7e020000n, BigInt(big) - 1n, BigInt(big), BigInt(big) + 1n, 2n ** 64n - 1n];
    let seed = 12345;
    const rand = (): bigint => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % 3 === 0 ? edges[seed % edges.length] : BigInt(seed) << BigInt(seed % 40);
    };
    for (const nr of [SYS.personality, SYS.clone, SYS.socket, SYS.mmap, SYS.read]) {
      for (let i = 0; i < 400; i++) {
        const args = Array.from({ length: 6 }, () => rand());
        assert.equal(runProgram(prog, data(nr, args)), reference(p, nr, args), `nr ${nr} args ${args.join(',')}`);
      }
    }
  });

  it('refuses what it cannot compile faithfully', () => {
    assert.throws(() => compileProfile({ defaultAction: 'SCMP_ACT_NOTIFY' }, ctx), /listener/);
    assert.throws(() => compileProfile({ defaultAction: 'SCMP_ACT_WHATEVER' }, ctx), /unknown seccomp action/);
    const rule = (arg: SeccompArg) => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [arg] }] });
    assert.throws(() => compileProfile(rule({ index: 6, value: 1, op: 'SCMP_CMP_EQ' }), ctx), /index/);
    assert.throws(() => compileProfile(rule({ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }), ctx), /exactly/);
    assert.throws(() => compileProfile(rule({ index: 0, value: 1, op: 'SCMP_CMP_SOMETIMES' }), ctx), /operator/);
  });
});
