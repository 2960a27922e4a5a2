import assert from 'node:assert/strict';
import { BPF_MAXINSNS, SECCOMP_RET } from '../../abi/linux/seccomp';
import { LinuxError } from '../../errors/linuxerr';
import { BpfProgram, checkProgram, decodeProgram, encodeProgram, runProgram } from './bpf';
import { filterResult, newFilter, NO_SECCOMP, precedence, withFilter } from './filter';

type Insn = [number, number, number, number];
const prog = (insns: Insn[]): BpfProgram => ({
  code: Uint16Array.from(insns.map((i) => i[0])), jt: Uint8Array.from(insns.map((i) => i[1])),
  jf: Uint8Array.from(insns.map((i) => i[2])), k: Uint32Array.from(insns.map((i) => i[3] >>> 0)),
});
const stmt = (code: number, k: number): Insn => [code, 0, 0, k];
const jump = (code: number, k: number, jt: number, jf: number): Insn => [code, jt, jf, k];
const LD_ABS = 0x20, LD_IMM = 0x00, LDX_IMM = 0x01, LD_MEM = 0x60, ST = 0x02, TAX = 0x07, TXA = 0x87;
const RET_K = 0x06, RET_A = 0x16, JEQ_K = 0x15, JGT_X = 0x2d, JSET_K = 0x45, JA = 0x05;
const ADD_K = 0x04, SUB_X = 0x1c, MUL_K = 0x24, DIV_X = 0x3c, AND_K = 0x54, OR_K = 0x44, XOR_K = 0xa4, LSH_K = 0x64, RSH_X = 0x7c, NEG = 0x84;

function data(nr: number, ...args: bigint[]): Buffer {
  const b = Buffer.alloc(64);
  b.writeInt32LE(nr, 0);
  b.writeUInt32LE(0xc000003e, 4);
  args.forEach((v, i) => b.writeBigUInt64LE(v, 16 + 8 * i));
  return b;
}
const einval = (e: unknown) => e instanceof LinuxError && e.code === 'EINVAL';

describe('classic BPF for seccomp', () => {
  it('checks programs as seccomp does', () => {
    const ok = prog([stmt(LD_ABS, 0), jump(JEQ_K, 39, 0, 1), stmt(RET_K, SECCOMP_RET.ERRNO | 1), stmt(RET_K, SECCOMP_RET.ALLOW)]);
    checkProgram(ok);
    for (const bad of [
      prog([]),
      prog(Array.from({ length: BPF_MAXINSNS + 1 }, () => stmt(RET_K, 0))),
      prog([stmt(0x30 /* LD|B|ABS */, 0), stmt(RET_K, 0)]),
      prog([stmt(LD_ABS, 64), stmt(RET_K, 0)]),
      prog([stmt(LD_ABS, 6), stmt(RET_K, 0)]),
      prog([jump(JEQ_K, 0, 1, 0), stmt(RET_K, 0)]),
      prog([stmt(JA, 1), stmt(RET_K, 0)]),
      prog([stmt(LD_ABS, 0)]),
      prog([stmt(LD_MEM, 2), stmt(RET_A, 0)]),
      prog([stmt(ST, 16), stmt(RET_A, 0)]),
      prog([stmt(0x34 /* DIV|K */, 0), stmt(RET_A, 0)]),
      prog([stmt(LSH_K, 32), stmt(RET_A, 0)]),
      prog([stmt(0x94 /* MOD|K */, 3), stmt(RET_A, 0)]),
      prog([stmt(0x0e /* RET|X */, 0)]),
    ]) assert.throws(() => checkProgram(bad), einval);
    // A cell written on one branch only may not be read after the branches meet.
    assert.throws(() => checkProgram(prog([stmt(LD_ABS, 0), jump(JEQ_K, 1, 0, 1), stmt(ST, 0), stmt(LD_MEM, 0), stmt(RET_A, 0)])), einval);
    checkProgram(prog([stmt(LD_IMM, 5), stmt(ST, 0), stmt(LD_MEM, 0), stmt(RET_A, 0)]));
  });

  it('computes with the ALU, X register, scratch memory and every jump', () => {
    const p = prog([
      stmt(LD_ABS, 16), // args[0] low
      stmt(ADD_K, 10), stmt(MUL_K, 3), stmt(TAX, 0), stmt(LD_IMM, 1000), stmt(SUB_X, 0), // A = 1000 - 3*(a0+10)
      stmt(ST, 4), stmt(LDX_IMM, 7), stmt(DIV_X, 0), stmt(AND_K, 0xff), stmt(OR_K, 0x100), stmt(XOR_K, 0x1), stmt(LSH_K, 4),
      stmt(LDX_IMM, 2), stmt(RSH_X, 0), stmt(NEG, 0), stmt(NEG, 0), stmt(TXA, 0), stmt(LD_MEM, 4),
      jump(JSET_K, 0x80000000, 0, 1), stmt(RET_K, 1),
      stmt(LDX_IMM, 500), jump(JGT_X, 0, 1, 0), stmt(RET_K, 2),
      stmt(RET_A, 0),
    ]);
    checkProgram(p);
    assert.equal(runProgram(p, data(0, 20n)), 910); // 1000 - 90 > 500
    assert.equal(runProgram(p, data(0, 200n)), 2); // 370 ≤ 500
    assert.equal(runProgram(p, data(0, 400n)), 1); // negative: the sign bit is set
    // Division by a zero X ends the program with 0.
    assert.equal(runProgram(prog([stmt(LDX_IMM, 0), stmt(LD_IMM, 9), stmt(DIV_X, 0), stmt(RET_K, 5)]), data(0)), 0);
  });

  it('round-trips struct sock_filter bytes', () => {
    const p = prog([stmt(LD_ABS, 4), jump(JEQ_K, 0xc000003e, 1, 0), stmt(RET_K, SECCOMP_RET.KILL_PROCESS), stmt(RET_K, SECCOMP_RET.ALLOW)]);
    assert.deepEqual(decodeProgram(encodeProgram(p)), p);
  });

  it('stacked filters: the strongest action wins, ties go to the newest; number-only results are cached', () => {
    const errnoFor = (nr: number, errno: number) => prog([stmt(LD_ABS, 0), jump(JEQ_K, nr, 0, 1), stmt(RET_K, SECCOMP_RET.ERRNO | errno), stmt(RET_K, SECCOMP_RET.ALLOW)]);
    const argCheck = prog([stmt(LD_ABS, 16), jump(JEQ_K, 7, 0, 1), stmt(RET_K, SECCOMP_RET.TRAP), stmt(RET_K, SECCOMP_RET.ALLOW)]);
    const first = newFilter(errnoFor(39, 1));
    const second = newFilter(errnoFor(39, 2));
    const third = newFilter(argCheck);
    const s = withFilter(withFilter(withFilter(NO_SECCOMP, first), second), third);
    assert.equal(filterResult(s, 39, () => data(39, 0n)).ret, SECCOMP_RET.ERRNO | 2);
    assert.equal(filterResult(s, 39, () => data(39, 7n)).ret, SECCOMP_RET.TRAP);
    assert.equal(filterResult(s, 1, () => data(1, 0n)).ret, SECCOMP_RET.ALLOW);
    assert.equal(first.cache.get(39), SECCOMP_RET.ERRNO | 1);
    assert.equal(third.cache.size, 0, 'a result that read an argument is not cached');
    assert.ok(precedence(SECCOMP_RET.KILL_PROCESS) < precedence(SECCOMP_RET.KILL_THREAD));
    assert.ok(precedence(SECCOMP_RET.LOG) < precedence(SECCOMP_RET.ALLOW));
  });
});
