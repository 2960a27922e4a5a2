/**
 * Seccomp profiles in the JSON form Docker, containerd and Kubernetes use
 * (defaultAction, syscalls[] with names, action, errnoRet, args[] and
 * includes/excludes by capability, architecture and kernel version),
 * compiled to a classic-BPF program for x86_64 as libseccomp would build
 * it for runc: an architecture check (KILL on another), x32 numbers to
 * the default action, then the rules in profile order (the first rule
 * whose syscall and argument conditions match gives the action), then the
 * default action. Arguments compare as 64-bit values (SCMP_CMP_EQ, NE, LT,
 * LE, GE, GT, MASKED_EQ with value as the mask and valueTwo as the
 * expected value); conditions of one rule must all hold.
 *
 * Refused (an Error, never a weaker filter): unknown actions and
 * operators, SCMP_ACT_NOTIFY (no user-space listener in the sandbox),
 * argument indexes beyond 5, values JSON cannot carry exactly (above
 * 2^53). Syscall names this architecture does not have are skipped, as
 * runc does.
 */
import { AUDIT_ARCH_X86_64, BPF_CLASS, BPF_JMP_OP, BPF_MODE, BPF_SIZE_W, BPF_SRC, BPF_ALU_OP, SECCOMP_RET, X32_SYSCALL_BIT } from '../../abi/linux/seccomp';
import { SYS, type SyscallName } from '../../abi/linux/syscalls';
import { BpfProgram, checkProgram } from './bpf';

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface SeccompRule {
  names?: string[];
  name?: string;
  action: string;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[]; minKernel?: string };
}

export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  syscalls?: SeccompRule[] | null;
}

/** What the rules' includes/excludes are checked against. */
export interface ProfileContext {
  /** Capability names ("CAP_SYS_ADMIN") of the process's bounding set. */
  caps: readonly string[];
  /** The kernel version rules with minKernel compare with. */
  kernel: [number, number];
}

const EPERM = 1;
/** Architecture names of x86_64 in profiles (Go's and libseccomp's). */
const OUR_ARCH = new Set(['amd64', 'x86_64', 'SCMP_ARCH_X86_64']);

/** A return value from an action name (SCMP_ACT_*), with the errno for ERRNO/TRACE. */
export function actionValue(action: string, errnoRet: number | undefined): number {
  const data = (errnoRet ?? EPERM) & 0xffff;
  switch (action) {
    case 'SCMP_ACT_ALLOW': return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_ERRNO': return (SECCOMP_RET.ERRNO | data) >>> 0;
    case 'SCMP_ACT_TRACE': return (SECCOMP_RET.TRACE | data) >>> 0;
    case 'SCMP_ACT_TRAP': return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_LOG': return SECCOMP_RET.LOG;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_NOTIFY': throw new Error('SCMP_ACT_NOTIFY needs a user-space listener, which the sandbox does not have');
    default: throw new Error(`unknown seccomp action ${JSON.stringify(action)}`);
  }
}

const versionAtLeast = (have: [number, number], want: string): boolean => {
  const [maj, min] = want.split('.').map(Number);
  return have[0] > maj || (have[0] === maj && have[1] >= (min || 0));
};

/** Whether a rule's includes/excludes let it apply here. */
function applies(r: SeccompRule, ctx: ProfileContext): boolean {
  const inc = r.includes ?? {};
  const exc = r.excludes ?? {};
  if (inc.arches?.length && !inc.arches.some((a) => OUR_ARCH.has(a))) return false;
  if (exc.arches?.some((a) => OUR_ARCH.has(a))) return false;
  if (inc.caps?.length && !inc.caps.every((c) => ctx.caps.includes(c))) return false;
  if (exc.caps?.some((c) => ctx.caps.includes(c))) return false;
  if (inc.minKernel && !versionAtLeast(ctx.kernel, inc.minKernel)) return false;
  if (exc.minKernel && versionAtLeast(ctx.kernel, exc.minKernel)) return false;
  return true;
}

/** A jump target inside the program being built. */
interface Label {
  at?: number;
}

type Target = Label | 0;

interface Insn {
  code: number;
  k: number;
  jt: Target;
  jf: Target;
  /** JA to a label (k is filled in at layout). */
  ja?: Label;
}

const LD_ABS = BPF_CLASS.LD | BPF_SIZE_W | BPF_MODE.ABS;
const RET_K = BPF_CLASS.RET | BPF_SRC.K;
const JA = BPF_CLASS.JMP | BPF_JMP_OP.JA;
const AND_K = BPF_CLASS.ALU | BPF_ALU_OP.AND | BPF_SRC.K;
const jmp = (op: number) => BPF_CLASS.JMP | op | BPF_SRC.K;

class Builder {
  readonly out: Insn[] = [];
  emit(code: number, k: number, jt: Target = 0, jf: Target = 0): void {
    this.out.push({ code, k: k >>> 0, jt, jf });
  }
  ja(to: Label): void {
    this.out.push({ code: JA, k: 0, jt: 0, jf: 0, ja: to });
  }
  here(l: Label): void {
    l.at = this.out.length;
  }
  /** Resolves labels into offsets (conditional ones must be within 255 instructions). */
  finish(): BpfProgram {
    const n = this.out.length;
    const p = { code: new Uint16Array(n), jt: new Uint8Array(n), jf: new Uint8Array(n), k: new Uint32Array(n) };
    const off = (pc: number, t: Target): number => {
      if (t === 0) return 0;
      if (t.at === undefined) throw new Error('seccomp compiler: unplaced label');
      const d = t.at - pc - 1;
      if (d < 0 || d > 255) throw new Error(`seccomp compiler: jump of ${d}`);
      return d;
    };
    this.out.forEach((insn, pc) => {
      p.code[pc] = insn.code;
      p.jt[pc] = off(pc, insn.jt);
      p.jf[pc] = off(pc, insn.jf);
      p.k[pc] = insn.ja ? (insn.ja.at ?? 0) - pc - 1 : insn.k;
    });
    return p;
  }
}

const SECCOMP_ARG = (i: number, hi: boolean) => 16 + 8 * i + (hi ? 4 : 0);
const hi32 = (v: number) => Math.floor(v / 2 ** 32) >>> 0;
const lo32 = (v: number) => v >>> 0;

/** Emits a check of one argument condition that falls through when it holds and jumps to `fail` when not. */
function condition(b: Builder, c: SeccompArg, fail: Label): void {
  if (!Number.isInteger(c.index) || c.index < 0 || c.index > 5) throw new Error(`seccomp argument index ${c.index}`);
  for (const v of [c.value, c.valueTwo ?? 0]) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`seccomp argument value ${v} cannot be represented exactly`);
  }
  const ldHi = () => b.emit(LD_ABS, SECCOMP_ARG(c.index, true));
  const ldLo = () => b.emit(LD_ABS, SECCOMP_ARG(c.index, false));
  const pass: Label = {};
  const [vh, vl] = [hi32(c.value), lo32(c.value)];
  switch (c.op) {
    case 'SCMP_CMP_EQ':
      ldHi(); b.emit(jmp(BPF_JMP_OP.JEQ), vh, 0, fail);
      ldLo(); b.emit(jmp(BPF_JMP_OP.JEQ), vl, 0, fail);
      break;
    case 'SCMP_CMP_NE':
      ldHi(); b.emit(jmp(BPF_JMP_OP.JEQ), vh, 0, pass);
      ldLo(); b.emit(jmp(BPF_JMP_OP.JEQ), vl, fail, 0);
      break;
    case 'SCMP_CMP_MASKED_EQ': {
      const [eh, el] = [hi32(c.valueTwo ?? 0), lo32(c.valueTwo ?? 0)];
      ldHi(); b.emit(AND_K, vh); b.emit(jmp(BPF_JMP_OP.JEQ), eh, 0, fail);
      ldLo(); b.emit(AND_K, vl); b.emit(jmp(BPF_JMP_OP.JEQ), el, 0, fail);
      break;
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
      ldHi(); b.emit(jmp(BPF_JMP_OP.JGT), vh, pass, 0); b.emit(jmp(BPF_JMP_OP.JEQ), vh, 0, fail);
      ldLo(); b.emit(jmp(c.op === 'SCMP_CMP_GT' ? BPF_JMP_OP.JGT : BPF_JMP_OP.JGE), vl, 0, fail);
      break;
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE':
      ldHi(); b.emit(jmp(BPF_JMP_OP.JGT), vh, fail, 0); b.emit(jmp(BPF_JMP_OP.JEQ), vh, 0, pass);
      ldLo(); b.emit(jmp(c.op === 'SCMP_CMP_LT' ? BPF_JMP_OP.JGE : BPF_JMP_OP.JGT), vl, fail, 0);
      break;
    default:
      throw new Error(`unknown seccomp operator ${JSON.stringify(c.op)}`);
  }
  b.here(pass);
}

/** Compiles `profile` for a process described by `ctx`; the program passes checkProgram. */
export function compileProfile(profile: SeccompProfile, ctx: ProfileContext): BpfProgram {
  const defaultRet = actionValue(profile.defaultAction, profile.defaultErrnoRet);
  const b = new Builder();
  const dflt: Label = {};
  const archOk: Label = {};
  b.emit(LD_ABS, 4);
  b.emit(jmp(BPF_JMP_OP.JEQ), AUDIT_ARCH_X86_64, archOk, 0);
  b.emit(RET_K, SECCOMP_RET.KILL_THREAD);
  b.here(archOk);
  b.emit(LD_ABS, 0);
  const notX32: Label = {};
  b.emit(jmp(BPF_JMP_OP.JGE), X32_SYSCALL_BIT, 0, notX32);
  b.ja(dflt);
  b.here(notX32);
  for (const rule of profile.syscalls ?? []) {
    if (!applies(rule, ctx)) continue;
    const ret = actionValue(rule.action, rule.errnoRet);
    const names = rule.names ?? (rule.name ? [rule.name] : []);
    for (const name of names) {
      if (!Object.hasOwn(SYS, name)) continue;
      const nr = SYS[name as SyscallName];
      const args = rule.args ?? [];
      if (args.length === 0) {
        const next: Label = {};
        b.emit(jmp(BPF_JMP_OP.JEQ), nr, 0, next);
        b.emit(RET_K, ret);
        b.here(next);
        continue;
      }
      const body: Label = {};
      const next: Label = {};
      const fail: Label = {};
      b.emit(jmp(BPF_JMP_OP.JEQ), nr, body, 0);
      b.ja(next);
      b.here(body);
      for (const c of args) condition(b, c, fail);
      b.emit(RET_K, ret);
      b.here(fail);
      b.emit(LD_ABS, 0); // the conditions loaded arguments: the number again, for the next rules
      b.here(next);
    }
  }
  b.here(dflt);
  b.emit(RET_K, defaultRet);
  const prog = b.finish();
  checkProgram(prog);
  return prog;
}
