/**
 * The x86_64 rt_sigframe: what the kernel pushes on the app stack before
 * running a handler, and what rt_sigreturn reads back. Pure over MemoryIO
 * and Registers so it can be tested without a stub.
 *
 *   rsp at handler entry ─▶ pretcode (sa_restorer: the handler's return address)
 *                           struct ucontext (flags, link, stack_t, sigcontext, sigmask)
 *                           siginfo_t (written with SA_SIGINFO)
 *   (64-aligned)            FXSAVE area (512 bytes) ◀─ sigcontext.fpstate
 *                           red zone (128 bytes) below the interrupted rsp
 */
import { REG } from '../../abi/linux/ptrace';
import {
  FCW_DEFAULT, FIX_EFLAGS, FRAME, SA, FXSAVE_MXCSR, FXSAVE_SIZE, HANDLER_CLEAR_EFLAGS, MXCSR_DEFAULT, REDZONE,
  SIGCONTEXT, SIGCONTEXT_GREGS, SS, UC, UCONTEXT,
} from '../../abi/linux/sigframe';
import { isLinuxError } from '../../errors/linuxerr';
import { MemoryIO, Registers } from '../../platform/platform';
import { SignalMask } from '../signals';

/** sigaltstack(2) state: ss_flags as the app set it (SS_DISABLE, or 0/SS_ONSTACK with SS_AUTODISARM). */
export interface AltStack {
  sp: number;
  flags: number;
  size: number;
}

export const DISABLED_ALT_STACK: AltStack = { sp: 0, flags: SS.DISABLE, size: 0 };

/**
 * Whether `sp` is on the alternate stack (Linux's on_sig_stack:
 * (ss_sp, ss_sp + ss_size]). An SS_AUTODISARM stack never counts: it is
 * disarmed while a handler runs on it.
 */
export function onAltStack(alt: AltStack, sp: bigint): boolean {
  return !(alt.flags & (SS.DISABLE | SS.AUTODISARM)) && inAltStack(alt, sp);
}

function inAltStack(alt: AltStack, sp: bigint): boolean {
  return sp > BigInt(alt.sp) && sp - BigInt(alt.sp) <= BigInt(alt.size);
}

export interface FrameInput {
  signo: number;
  info: Buffer;
  handler: bigint;
  restorer: bigint;
  /** sa_flags (SA_ONSTACK and SA_SIGINFO matter here). */
  flags: bigint;
  /** The mask rt_sigreturn restores. */
  savedMask: SignalMask;
  altStack: AltStack;
  /** The interrupted FXSAVE image, if the platform can read it; else a freshly reset one is saved. */
  fpstate?: Buffer;
  /** sigcontext.cr2: the faulting address for SIGSEGV/SIGBUS. */
  cr2?: bigint;
}

const roundDown = (v: bigint, a: bigint): bigint => v - (((v % a) + a) % a);

/** A reset FXSAVE image: x87 control word and MXCSR at their power-on values, everything else 0. */
function resetFxsave(): Buffer {
  const b = Buffer.alloc(FXSAVE_SIZE);
  b.writeUInt16LE(FCW_DEFAULT, 0);
  b.writeUInt32LE(MXCSR_DEFAULT, FXSAVE_MXCSR);
  return b;
}

/**
 * Writes the frame below the interrupted rsp (or at the top of the
 * alternate stack with SA_ONSTACK) and points the registers at the
 * handler: rdi = signo, rsi = &info, rdx = &uc, rsp = frame (the restorer
 * is the return address), rax = 0, DF/RF/TF cleared. Returns false when
 * the frame cannot be written (no SA_RESTORER, an unwritable stack, an
 * overflowing alternate stack): Linux then forces SIGSEGV.
 */
export function pushFrame(mem: MemoryIO, regs: Registers, f: FrameInput): boolean {
  if (!(f.flags & BigInt(SA.RESTORER))) return false;
  const rsp = regs.get(REG.rsp);
  const wasOnAlt = onAltStack(f.altStack, rsp);
  const entering = (f.flags & BigInt(SA.ONSTACK)) !== 0n && !(f.altStack.flags & SS.DISABLE) && !wasOnAlt;
  let sp = rsp - BigInt(REDZONE);
  if (entering) sp = BigInt(f.altStack.sp + f.altStack.size);
  const fp = roundDown(sp - BigInt(FXSAVE_SIZE), 64n);
  const frame = roundDown(fp - BigInt(FRAME.SIZE), 16n) - 8n;
  if ((entering || wasOnAlt) && !inAltStack(f.altStack, frame)) return false;
  if (frame < 0n) return false;

  const b = Buffer.alloc(Number(fp - frame) + FXSAVE_SIZE);
  b.writeBigUInt64LE(f.restorer, FRAME.PRETCODE);
  const uc = FRAME.UC;
  b.writeBigUInt64LE(BigInt(UC.SIGCONTEXT_SS | UC.STRICT_RESTORE_SS), uc + UCONTEXT.FLAGS);
  b.writeBigUInt64LE(BigInt(f.altStack.sp), uc + UCONTEXT.STACK);
  // Linux saves the flags as set (not SS_ONSTACK), so sigreturn can re-arm an SS_AUTODISARM stack.
  b.writeInt32LE(f.altStack.flags, uc + UCONTEXT.STACK + 8);
  b.writeBigUInt64LE(BigInt(f.altStack.size), uc + UCONTEXT.STACK + 16);
  const mc = uc + UCONTEXT.MCONTEXT;
  SIGCONTEXT_GREGS.forEach((r, i) => b.writeBigUInt64LE(regs.get(r), mc + i * 8));
  b.writeUInt16LE(Number(regs.get(REG.cs) & 0xffffn), mc + SIGCONTEXT.CS);
  b.writeUInt16LE(Number(regs.get(REG.ss) & 0xffffn), mc + SIGCONTEXT.SS);
  b.writeBigUInt64LE(f.savedMask, mc + SIGCONTEXT.OLDMASK);
  b.writeBigUInt64LE(f.cr2 ?? 0n, mc + SIGCONTEXT.CR2);
  b.writeBigUInt64LE(fp, mc + SIGCONTEXT.FPSTATE);
  b.writeBigUInt64LE(f.savedMask, uc + UCONTEXT.SIGMASK);
  if (f.flags & BigInt(SA.SIGINFO)) f.info.copy(b, FRAME.INFO);
  (f.fpstate ?? resetFxsave()).copy(b, Number(fp - frame), 0, FXSAVE_SIZE);
  try {
    mem.write(Number(frame), b);
  } catch (e) {
    if (isLinuxError(e)) return false;
    throw e;
  }

  regs.set(REG.rdi, BigInt(f.signo));
  regs.set(REG.rsi, frame + BigInt(FRAME.INFO));
  regs.set(REG.rdx, frame + BigInt(FRAME.UC));
  regs.set(REG.rax, 0n);
  regs.set(REG.rsp, frame);
  regs.set(REG.rip, f.handler);
  regs.set(REG.eflags, regs.get(REG.eflags) & ~BigInt(HANDLER_CLEAR_EFLAGS));
  return true;
}

export interface RestoredFrame {
  mask: SignalMask;
  altStack: AltStack;
  /** The saved FXSAVE image (for platforms that can load it). */
  fpstate: Buffer | undefined;
}

/** The highest canonical user address + 1 (47-bit address space). */
const USER_TOP = 1n << 47n;

/**
 * rt_sigreturn: reads the frame whose pretcode the handler's `ret` just
 * popped (at rsp - 8) and restores every saved register; only the
 * user-changeable EFLAGS bits are taken. Returns undefined for a frame
 * Linux would refuse or fault on (unreadable, other cs/ss, non-canonical
 * rip): the caller forces SIGSEGV, with registers untouched.
 */
export function popFrame(mem: MemoryIO, regs: Registers): RestoredFrame | undefined {
  const frame = regs.get(REG.rsp) - 8n;
  const uc = readOrUndefined(mem, frame + BigInt(FRAME.UC), UCONTEXT.SIZE);
  if (!uc) return undefined;
  const mc = UCONTEXT.MCONTEXT;
  const fpAddr = uc.readBigUInt64LE(mc + SIGCONTEXT.FPSTATE);
  const fpstate = fpAddr === 0n ? undefined : readOrUndefined(mem, fpAddr, FXSAVE_SIZE);
  if (fpAddr !== 0n && !fpstate) return undefined;
  const saved = SIGCONTEXT_GREGS.map((_, i) => uc.readBigUInt64LE(mc + i * 8));
  const rip = saved[SIGCONTEXT_GREGS.indexOf(REG.rip)];
  const cs = BigInt(uc.readUInt16LE(mc + SIGCONTEXT.CS));
  const ss = BigInt(uc.readUInt16LE(mc + SIGCONTEXT.SS));
  if (rip >= USER_TOP || cs !== regs.get(REG.cs) || ss !== regs.get(REG.ss)) return undefined;

  SIGCONTEXT_GREGS.forEach((r, i) => {
    if (r === REG.eflags) regs.set(r, (regs.get(r) & ~BigInt(FIX_EFLAGS)) | (saved[i] & BigInt(FIX_EFLAGS)));
    else regs.set(r, saved[i]);
  });
  // Not in a syscall any more: nothing may restart it.
  regs.set(REG.orig_rax, -1n);

  return {
    mask: uc.readBigUInt64LE(UCONTEXT.SIGMASK),
    altStack: {
      sp: Number(uc.readBigUInt64LE(UCONTEXT.STACK)),
      flags: uc.readInt32LE(UCONTEXT.STACK + 8),
      size: Number(uc.readBigUInt64LE(UCONTEXT.STACK + 16)),
    },
    fpstate,
  };
}

function readOrUndefined(mem: MemoryIO, addr: bigint, len: number): Buffer | undefined {
  if (addr < 0n || addr >= USER_TOP) return undefined;
  try {
    return mem.read(Number(addr), len);
  } catch (e) {
    if (isLinuxError(e)) return undefined;
    throw e;
  }
}
