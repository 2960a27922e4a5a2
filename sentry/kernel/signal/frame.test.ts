import { nativeValues } from '../../testing/native';
import assert from 'node:assert/strict';
import { REG } from '../../abi/linux/ptrace';
import { FRAME, SA, SIGCONTEXT, SIGEV, SIGEVENT, SIGINFO, SI, SS, SSI, UCONTEXT } from '../../abi/linux/sigframe';
import { FakeMemory } from '../../mm/testing';
import { Registers } from '../../platform/platform';
import { FrameInput, popFrame, pushFrame } from './frame';

/** glibc's view of the frame: ucontext_t, mcontext_t gregs indices, siginfo_t, signalfd_siginfo, sigevent. */
const C = `#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <signal.h>
#include <ucontext.h>
#include <sys/signalfd.h>
#define P(n, v) printf("%s %ld\\n", n, (long)(v))
#define G(r) P("g." #r, offsetof(ucontext_t, uc_mcontext.gregs[REG_##r]))
int main(void) {
  P("uc_flags", offsetof(ucontext_t, uc_flags)); P("uc_link", offsetof(ucontext_t, uc_link));
  P("uc_stack", offsetof(ucontext_t, uc_stack)); P("uc_mcontext", offsetof(ucontext_t, uc_mcontext));
  P("uc_sigmask", offsetof(ucontext_t, uc_sigmask)); P("fpregs", offsetof(ucontext_t, uc_mcontext.fpregs));
  P("ss_flags", offsetof(stack_t, ss_flags)); P("ss_size", offsetof(stack_t, ss_size));
  G(R8); G(R9); G(R10); G(R11); G(R12); G(R13); G(R14); G(R15); G(RDI); G(RSI); G(RBP); G(RBX);
  G(RDX); G(RAX); G(RCX); G(RSP); G(RIP); G(EFL); G(CSGSFS); G(ERR); G(TRAPNO); G(OLDMASK); G(CR2);
  P("si_pid", offsetof(siginfo_t, si_pid)); P("si_uid", offsetof(siginfo_t, si_uid));
  P("si_timerid", offsetof(siginfo_t, si_timerid)); P("si_overrun", offsetof(siginfo_t, si_overrun));
  P("si_value", offsetof(siginfo_t, si_value)); P("si_status", offsetof(siginfo_t, si_status));
  P("si_addr", offsetof(siginfo_t, si_addr)); P("si_utime", offsetof(siginfo_t, si_utime));
  P("ssi_pid", offsetof(struct signalfd_siginfo, ssi_pid)); P("ssi_tid", offsetof(struct signalfd_siginfo, ssi_tid));
  P("ssi_overrun", offsetof(struct signalfd_siginfo, ssi_overrun)); P("ssi_status", offsetof(struct signalfd_siginfo, ssi_status));
  P("ssi_int", offsetof(struct signalfd_siginfo, ssi_int)); P("ssi_ptr", offsetof(struct signalfd_siginfo, ssi_ptr));
  P("ssi_utime", offsetof(struct signalfd_siginfo, ssi_utime)); P("ssi_addr", offsetof(struct signalfd_siginfo, ssi_addr));
  P("ssi_size", sizeof(struct signalfd_siginfo));
  P("sigev_signo", offsetof(struct sigevent, sigev_signo)); P("sigev_notify", offsetof(struct sigevent, sigev_notify));
  P("sigev_tid", offsetof(struct sigevent, _sigev_un._tid)); P("sigev_size", sizeof(struct sigevent));
  P("SA_RESTORER", 0x04000000); P("SA_ONSTACK", SA_ONSTACK); P("SA_RESTART", SA_RESTART); P("SA_NODEFER", SA_NODEFER);
  P("SA_RESETHAND", (unsigned)SA_RESETHAND); P("SA_SIGINFO", SA_SIGINFO); P("SA_NOCLDSTOP", SA_NOCLDSTOP);
  P("SS_ONSTACK", SS_ONSTACK); P("SS_DISABLE", SS_DISABLE);
  P("SI_TIMER", SI_TIMER); P("SI_TKILL", SI_TKILL); P("SI_QUEUE", SI_QUEUE); P("SI_KERNEL", SI_KERNEL);
  P("SIGEV_NONE", SIGEV_NONE); P("SIGEV_THREAD_ID", SIGEV_THREAD_ID);
  return 0;
}`;

/** The order of gregs in glibc's mcontext_t, with the user_regs_struct word each holds. */
const GREGS: [string, number][] = [
  ['R8', REG.r8], ['R9', REG.r9], ['R10', REG.r10], ['R11', REG.r11], ['R12', REG.r12], ['R13', REG.r13],
  ['R14', REG.r14], ['R15', REG.r15], ['RDI', REG.rdi], ['RSI', REG.rsi], ['RBP', REG.rbp], ['RBX', REG.rbx],
  ['RDX', REG.rdx], ['RAX', REG.rax], ['RCX', REG.rcx], ['RSP', REG.rsp], ['RIP', REG.rip], ['EFL', REG.eflags],
];

const STACK = 0x7000_0000;
const STACK_TOP = STACK + 0x10000;
const ALT = 0x6000_0000;

function machine(): { mem: FakeMemory; regs: Registers } {
  const mem = new FakeMemory();
  mem.mapAnonymous(STACK, 0x10000, 3);
  mem.mapAnonymous(ALT, 0x4000, 3);
  const regs = new Registers();
  for (let i = 0; i < regs.words.length; i++) regs.words[i] = 0x1111_0000_0000n + BigInt(i);
  regs.set(REG.cs, 0x33n);
  regs.set(REG.ss, 0x2bn);
  regs.set(REG.eflags, 0x246n | 0x400n); // DF set: cleared for the handler
  regs.set(REG.rip, 0x40_1234n);
  regs.set(REG.rsp, BigInt(STACK_TOP - 0x100 - 3)); // deliberately misaligned
  return { mem, regs };
}

function input(over: Partial<FrameInput> = {}): FrameInput {
  const info = Buffer.alloc(128);
  info.writeInt32LE(10, SIGINFO.SIGNO);
  info.writeInt32LE(SI.TKILL, SIGINFO.CODE);
  info.writeInt32LE(77, SIGINFO.PID);
  return {
    signo: 10, info, handler: 0x40_5000n, restorer: 0x40_6000n,
    flags: BigInt(SA.RESTORER | SA.SIGINFO), savedMask: 0x8000_0000_0001n,
    altStack: { sp: 0, flags: SS.DISABLE, size: 0 }, ...over,
  };
}

describe('rt_sigframe', function () {
  let native: Map<string, number>;
  before(() => (native = nativeValues(C)));
  const n = (k: string): number => native.get(k) ?? assert.fail(`no ${k}`);

  it('layout constants match glibc (ucontext_t, siginfo_t, signalfd_siginfo, sigevent, flags)', () => {
    const pairs: [string, number][] = [
      ['uc_flags', UCONTEXT.FLAGS], ['uc_link', UCONTEXT.LINK], ['uc_stack', UCONTEXT.STACK],
      ['uc_mcontext', UCONTEXT.MCONTEXT], ['uc_sigmask', UCONTEXT.SIGMASK],
      ['fpregs', UCONTEXT.MCONTEXT + SIGCONTEXT.FPSTATE], ['g.CSGSFS', UCONTEXT.MCONTEXT + SIGCONTEXT.CS],
      ['g.ERR', UCONTEXT.MCONTEXT + SIGCONTEXT.ERR], ['g.TRAPNO', UCONTEXT.MCONTEXT + SIGCONTEXT.TRAPNO],
      ['g.OLDMASK', UCONTEXT.MCONTEXT + SIGCONTEXT.OLDMASK], ['g.CR2', UCONTEXT.MCONTEXT + SIGCONTEXT.CR2],
      ['si_pid', SIGINFO.PID], ['si_uid', SIGINFO.UID], ['si_timerid', SIGINFO.TIMERID], ['si_overrun', SIGINFO.OVERRUN],
      ['si_value', SIGINFO.VALUE], ['si_status', SIGINFO.STATUS], ['si_addr', SIGINFO.ADDR], ['si_utime', SIGINFO.UTIME],
      ['ssi_pid', SSI.PID], ['ssi_tid', SSI.TID], ['ssi_overrun', SSI.OVERRUN], ['ssi_status', SSI.STATUS],
      ['ssi_int', SSI.INT], ['ssi_ptr', SSI.PTR], ['ssi_utime', SSI.UTIME], ['ssi_addr', SSI.ADDR], ['ssi_size', SSI.SIZE],
      ['sigev_signo', SIGEVENT.SIGNO], ['sigev_notify', SIGEVENT.NOTIFY], ['sigev_tid', SIGEVENT.TID], ['sigev_size', SIGEVENT.SIZE],
      ['SA_RESTORER', SA.RESTORER], ['SA_ONSTACK', SA.ONSTACK], ['SA_RESTART', SA.RESTART], ['SA_NODEFER', SA.NODEFER],
      ['SA_RESETHAND', SA.RESETHAND], ['SA_SIGINFO', SA.SIGINFO], ['SA_NOCLDSTOP', SA.NOCLDSTOP],
      ['SS_ONSTACK', SS.ONSTACK], ['SS_DISABLE', SS.DISABLE], ['SI_TIMER', SI.TIMER], ['SI_TKILL', SI.TKILL],
      ['SI_QUEUE', SI.QUEUE], ['SI_KERNEL', SI.KERNEL], ['SIGEV_NONE', SIGEV.NONE], ['SIGEV_THREAD_ID', SIGEV.THREAD_ID],
    ];
    for (const [name, ours] of pairs) assert.equal(ours, n(name), name);
  });

  it('saves every register where glibc reads it and points the registers at the handler', () => {
    const { mem, regs } = machine();
    const before = new Registers();
    before.copyFrom(regs);
    assert.equal(pushFrame(mem, regs, input()), true);
    const frame = Number(regs.get(REG.rsp));
    // Function-entry alignment: (rsp + 8) % 16 == 0, below the 128-byte red zone.
    assert.equal((frame + 8) % 16, 0);
    assert.ok(frame + FRAME.SIZE + 512 <= STACK_TOP - 0x100 - 3 - 128);
    assert.equal(mem.read(frame, 8).readBigUInt64LE(0), 0x40_6000n, 'pretcode = sa_restorer');
    const uc = frame + FRAME.UC;
    assert.equal(regs.get(REG.rdx), BigInt(uc));
    assert.equal(regs.get(REG.rsi), BigInt(frame + FRAME.INFO));
    assert.equal(regs.get(REG.rdi), 10n);
    assert.equal(regs.get(REG.rip), 0x40_5000n);
    assert.equal(regs.get(REG.rax), 0n);
    assert.equal(regs.get(REG.eflags), 0x246n, 'DF cleared for the handler');
    const u = mem.read(uc, UCONTEXT.SIZE);
    for (const [name, reg] of GREGS) assert.equal(u.readBigUInt64LE(n(`g.${name}`)), before.get(reg), name);
    const csgsfs = u.readBigUInt64LE(n('g.CSGSFS'));
    assert.equal(csgsfs & 0xffffn, 0x33n, 'cs');
    assert.equal(csgsfs >> 48n, 0x2bn, 'ss (UC_SIGCONTEXT_SS)');
    assert.equal(u.readBigUInt64LE(n('uc_flags')), 6n);
    assert.equal(u.readBigUInt64LE(n('uc_link')), 0n);
    assert.equal(u.readBigUInt64LE(n('uc_sigmask')), 0x8000_0000_0001n);
    assert.equal(u.readBigUInt64LE(n('g.OLDMASK')), 0x8000_0000_0001n);
    assert.equal(u.readInt32LE(n('uc_stack') + n('ss_flags')), SS.DISABLE);
    const fp = Number(u.readBigUInt64LE(n('fpregs')));
    assert.equal(fp % 64, 0);
    assert.ok(fp >= frame + FRAME.SIZE);
    assert.equal(mem.read(fp, 512).readUInt32LE(24), 0x1f80, 'MXCSR of a reset FPU');
    const info = mem.read(frame + FRAME.INFO, 128);
    assert.equal(info.readInt32LE(SIGINFO.PID), 77);
  });

  it('rt_sigreturn restores every register; only user EFLAGS bits come from the frame', () => {
    const { mem, regs } = machine();
    const before = new Registers();
    before.copyFrom(regs);
    pushFrame(mem, regs, input());
    const frame = regs.get(REG.rsp);
    // The handler scribbles over everything, then `ret` pops pretcode.
    for (const [, reg] of GREGS) regs.set(reg, 0xdeadn);
    regs.set(REG.eflags, 0x202n);
    regs.set(REG.rsp, frame + 8n);
    // The handler may change saved user flags (CF) but not IOPL (0x3000).
    const uc = Number(frame) + FRAME.UC + UCONTEXT.MCONTEXT;
    mem.write(uc + 17 * 8, Buffer.from(new BigUint64Array([0x3246n | 0x1n]).buffer));
    const r = popFrame(mem, regs);
    assert.ok(r);
    for (const [name, reg] of GREGS) if (reg !== REG.eflags) assert.equal(regs.get(reg), before.get(reg), name);
    assert.equal(regs.get(REG.eflags), 0x247n);
    assert.equal(regs.get(REG.orig_rax), 0xffff_ffff_ffff_ffffn);
    assert.equal(r.mask, 0x8000_0000_0001n);
    assert.equal(r.fpstate?.readUInt32LE(24), 0x1f80);
  });

  it('a corrupted frame (other cs, non-canonical rip, unmapped) is refused with registers untouched', () => {
    const { mem, regs } = machine();
    pushFrame(mem, regs, input());
    const frame = Number(regs.get(REG.rsp));
    const mc = frame + FRAME.UC + UCONTEXT.MCONTEXT;
    regs.set(REG.rsp, BigInt(frame + 8));
    mem.write(mc + SIGCONTEXT.CS, Buffer.from([0x10, 0]));
    assert.equal(popFrame(mem, regs), undefined);
    assert.equal(regs.get(REG.rsp), BigInt(frame + 8));
    mem.write(mc + SIGCONTEXT.CS, Buffer.from([0x33, 0]));
    mem.write(mc + 16 * 8, Buffer.from(new BigUint64Array([0x8000_0000_0000n]).buffer));
    assert.equal(popFrame(mem, regs), undefined);
    regs.set(REG.rsp, 0x1000n);
    assert.equal(popFrame(mem, regs), undefined);
  });

  it('SA_ONSTACK switches to the alternate stack once; nested frames stay on it', () => {
    const { mem, regs } = machine();
    const altStack = { sp: ALT, flags: 0, size: 0x4000 };
    pushFrame(mem, regs, input({ flags: BigInt(SA.RESTORER | SA.ONSTACK), altStack }));
    const first = Number(regs.get(REG.rsp));
    assert.ok(first > ALT && first < ALT + 0x4000);
    let u = mem.read(first + FRAME.UC, UCONTEXT.SIZE);
    assert.equal(u.readBigUInt64LE(UCONTEXT.STACK), BigInt(ALT));
    assert.equal(u.readInt32LE(UCONTEXT.STACK + 8), 0);
    pushFrame(mem, regs, input({ flags: BigInt(SA.RESTORER | SA.ONSTACK), altStack }));
    const second = Number(regs.get(REG.rsp));
    assert.ok(second > ALT && second < first - FRAME.SIZE);
    u = mem.read(second + FRAME.UC, UCONTEXT.SIZE);
    assert.equal(u.readInt32LE(UCONTEXT.STACK + 8), 0, 'Linux saves ss_flags as set, not SS_ONSTACK');
    // Without SA_ONSTACK the normal stack is used even with an alternate stack set.
    const m2 = machine();
    pushFrame(m2.mem, m2.regs, input({ altStack }));
    assert.ok(Number(m2.regs.get(REG.rsp)) > STACK);
  });

  it('fails without SA_RESTORER, on an unwritable stack and on alternate-stack overflow', () => {
    let m = machine();
    assert.equal(pushFrame(m.mem, m.regs, input({ flags: BigInt(SA.SIGINFO) })), false);
    m = machine();
    m.regs.set(REG.rsp, 0x5000_0000n);
    assert.equal(pushFrame(m.mem, m.regs, input()), false);
    m = machine();
    const tiny = { sp: ALT, flags: 0, size: 0x300 }; // the frame and FXSAVE area need ~0x3c0 bytes
    assert.equal(pushFrame(m.mem, m.regs, input({ flags: BigInt(SA.RESTORER | SA.ONSTACK), altStack: tiny })), false);
  });
});
