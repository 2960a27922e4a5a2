/**
 * Classic BPF as seccomp runs it: the program checker (Linux's
 * bpf_check_classic plus seccomp_check_filter: only the instructions a
 * seccomp filter may use, forward jumps inside the program, a final
 * return, no division by a constant zero, scratch memory written before it
 * is read) and an interpreter over struct seccomp_data. Pure: no kernel
 * state, so the CRI server's profile compiler and the tests use it too.
 */
import {
  BPF_ALU_OP, BPF_CLASS, BPF_JMP_OP, BPF_MAXINSNS, BPF_MEMWORDS, BPF_MISC_OP, BPF_MODE, BPF_RVAL_A, BPF_SIZE_W, BPF_SRC,
  SECCOMP_DATA_SIZE, SOCK_FILTER_SIZE,
} from '../../abi/linux/seccomp';
import { fail } from '../../errors/linuxerr';

/** A checked program, one array per field of struct sock_filter. */
export interface BpfProgram {
  readonly code: Uint16Array;
  readonly jt: Uint8Array;
  readonly jf: Uint8Array;
  readonly k: Uint32Array;
}

const { LD, LDX, ST, STX, ALU, JMP, RET, MISC } = BPF_CLASS;
const W = BPF_SIZE_W;
const { K, X } = BPF_SRC;

/** The opcodes a seccomp filter may contain (seccomp_check_filter), LD|W|ABS and the LEN loads included. */
const ALLOWED: ReadonlySet<number> = new Set([
  LD | W | BPF_MODE.ABS, LD | W | BPF_MODE.LEN, LDX | W | BPF_MODE.LEN,
  RET | K, RET | BPF_RVAL_A,
  ...[BPF_ALU_OP.ADD, BPF_ALU_OP.SUB, BPF_ALU_OP.MUL, BPF_ALU_OP.DIV, BPF_ALU_OP.AND, BPF_ALU_OP.OR, BPF_ALU_OP.XOR, BPF_ALU_OP.LSH, BPF_ALU_OP.RSH]
    .flatMap((op) => [ALU | op | K, ALU | op | X]),
  ALU | BPF_ALU_OP.NEG,
  LD | BPF_MODE.IMM, LDX | BPF_MODE.IMM, MISC | BPF_MISC_OP.TAX, MISC | BPF_MISC_OP.TXA,
  LD | BPF_MODE.MEM, LDX | BPF_MODE.MEM, ST, STX,
  JMP | BPF_JMP_OP.JA,
  ...[BPF_JMP_OP.JEQ, BPF_JMP_OP.JGE, BPF_JMP_OP.JGT, BPF_JMP_OP.JSET].flatMap((op) => [JMP | op | K, JMP | op | X]),
]);

const isCondJump = (code: number) => (code & 0x07) === JMP && (code & 0xf0) !== BPF_JMP_OP.JA;

/** Decodes an array of struct sock_filter (8 bytes each). */
export function decodeProgram(b: Buffer): BpfProgram {
  const n = b.length / SOCK_FILTER_SIZE;
  const p = { code: new Uint16Array(n), jt: new Uint8Array(n), jf: new Uint8Array(n), k: new Uint32Array(n) };
  for (let i = 0; i < n; i++) {
    p.code[i] = b.readUInt16LE(i * 8);
    p.jt[i] = b.readUInt8(i * 8 + 2);
    p.jf[i] = b.readUInt8(i * 8 + 3);
    p.k[i] = b.readUInt32LE(i * 8 + 4);
  }
  return p;
}

/** The program as struct sock_filter bytes. */
export function encodeProgram(p: BpfProgram): Buffer {
  const b = Buffer.alloc(p.code.length * SOCK_FILTER_SIZE);
  for (let i = 0; i < p.code.length; i++) {
    b.writeUInt16LE(p.code[i], i * 8);
    b.writeUInt8(p.jt[i], i * 8 + 2);
    b.writeUInt8(p.jf[i], i * 8 + 3);
    b.writeUInt32LE(p.k[i], i * 8 + 4);
  }
  return b;
}

/** EINVAL unless `p` is a program seccomp accepts. */
export function checkProgram(p: BpfProgram): void {
  const n = p.code.length;
  if (n === 0 || n > BPF_MAXINSNS) fail('EINVAL', `filter of ${n} instructions`);
  for (let pc = 0; pc < n; pc++) {
    const code = p.code[pc];
    const k = p.k[pc];
    if (!ALLOWED.has(code)) fail('EINVAL', `opcode 0x${code.toString(16)} at ${pc}`);
    if (code === (LD | W | BPF_MODE.ABS) && (k >= SECCOMP_DATA_SIZE || k % 4 !== 0)) fail('EINVAL', `load at ${k}`);
    if (code === (ALU | BPF_ALU_OP.DIV | K) && k === 0) fail('EINVAL', 'division by zero');
    if ((code === (ALU | BPF_ALU_OP.LSH | K) || code === (ALU | BPF_ALU_OP.RSH | K)) && k >= 32) fail('EINVAL', `shift by ${k}`);
    const mem = code === (LD | BPF_MODE.MEM) || code === (LDX | BPF_MODE.MEM) || code === ST || code === STX;
    if (mem && k >= BPF_MEMWORDS) fail('EINVAL', `memory cell ${k}`);
    if (code === (JMP | BPF_JMP_OP.JA) && k >= n - pc - 1) fail('EINVAL', `jump out of the program at ${pc}`);
    if (isCondJump(code) && (pc + 1 + p.jt[pc] >= n || pc + 1 + p.jf[pc] >= n)) fail('EINVAL', `jump out of the program at ${pc}`);
  }
  if ((p.code[n - 1] & 0x07) !== RET) fail('EINVAL', 'the program does not end with a return');
  checkMemoryUse(p);
}

/** Linux's check_load_and_stores: on every path, a scratch cell is stored before it is loaded. */
function checkMemoryUse(p: BpfProgram): void {
  const n = p.code.length;
  const masks = new Uint16Array(n).fill(0xffff);
  let valid = 0;
  for (let pc = 0; pc < n; pc++) {
    valid &= masks[pc];
    const code = p.code[pc];
    if (code === ST || code === STX) valid |= 1 << p.k[pc];
    else if ((code === (LD | BPF_MODE.MEM) || code === (LDX | BPF_MODE.MEM)) && !(valid & (1 << p.k[pc]))) fail('EINVAL', `memory cell ${p.k[pc]} read before written`);
    else if (code === (JMP | BPF_JMP_OP.JA)) {
      masks[pc + 1 + p.k[pc]] &= valid;
      valid = 0xffff;
    } else if (isCondJump(code)) {
      masks[pc + 1 + p.jt[pc]] &= valid;
      masks[pc + 1 + p.jf[pc]] &= valid;
      valid = 0xffff;
    }
  }
}

/**
 * Runs a checked program over a struct seccomp_data (64 bytes) and returns
 * its 32-bit result. `loads` (if given) gets every offset the program
 * reads, so a caller can tell whether the result depends on more than
 * the syscall number and architecture.
 */
export function runProgram(p: BpfProgram, data: Buffer, loads?: (offset: number) => void): number {
  let a = 0;
  let x = 0;
  const mem = new Uint32Array(BPF_MEMWORDS);
  for (let pc = 0; ; pc++) {
    const code = p.code[pc];
    const k = p.k[pc];
    switch (code & 0x07) {
      case LD:
        if ((code & 0xe0) === BPF_MODE.ABS) {
          loads?.(k);
          a = data.readUInt32LE(k);
        } else if ((code & 0xe0) === BPF_MODE.LEN) a = SECCOMP_DATA_SIZE;
        else if ((code & 0xe0) === BPF_MODE.MEM) a = mem[k];
        else a = k;
        break;
      case LDX:
        if ((code & 0xe0) === BPF_MODE.LEN) x = SECCOMP_DATA_SIZE;
        else if ((code & 0xe0) === BPF_MODE.MEM) x = mem[k];
        else x = k;
        break;
      case ST:
        mem[k] = a;
        break;
      case STX:
        mem[k] = x;
        break;
      case ALU: {
        const v = code & X ? x : k;
        switch (code & 0xf0) {
          case BPF_ALU_OP.ADD: a = (a + v) >>> 0; break;
          case BPF_ALU_OP.SUB: a = (a - v) >>> 0; break;
          case BPF_ALU_OP.MUL: a = Math.imul(a, v) >>> 0; break;
          case BPF_ALU_OP.DIV:
            if (v === 0) return 0; // a runtime division by zero ends the program with 0, as Linux's interpreter does
            a = Math.floor(a / v) >>> 0;
            break;
          case BPF_ALU_OP.OR: a = (a | v) >>> 0; break;
          case BPF_ALU_OP.AND: a = (a & v) >>> 0; break;
          case BPF_ALU_OP.XOR: a = (a ^ v) >>> 0; break;
          // Shift counts from X are taken modulo 32, as Linux's interpreter does.
          case BPF_ALU_OP.LSH: a = (a << (v & 31)) >>> 0; break;
          case BPF_ALU_OP.RSH: a = a >>> (v & 31); break;
          case BPF_ALU_OP.NEG: a = -a >>> 0; break;
        }
        break;
      }
      case JMP: {
        const op = code & 0xf0;
        if (op === BPF_JMP_OP.JA) {
          pc += k;
          break;
        }
        const v = code & X ? x : k;
        const taken = op === BPF_JMP_OP.JEQ ? a === v : op === BPF_JMP_OP.JGT ? a > v : op === BPF_JMP_OP.JGE ? a >= v : (a & v) !== 0;
        pc += taken ? p.jt[pc] : p.jf[pc];
        break;
      }
      case RET:
        return (code & BPF_RVAL_A ? a : k) >>> 0;
      case MISC:
        if ((code & 0xf8) === BPF_MISC_OP.TXA) a = x;
        else x = a;
        break;
    }
  }
}
