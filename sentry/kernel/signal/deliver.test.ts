import assert from 'node:assert/strict';
import { Errno } from '../../abi/linux/errno';
import { REG } from '../../abi/linux/ptrace';
import { FRAME, SA, SIGINFO, SI, SS, UCONTEXT } from '../../abi/linux/sigframe';
import { SIG } from '../../abi/linux/signal';
import { SYS } from '../../abi/linux/syscalls';
import { argsOf } from '../../testing/fakes';
import { signalSyscalls } from '../../syscalls/signal';
import { SyscallControl } from '../../syscalls/types';
import { SIG_IGN } from '../signals';
import { deliverPending, suspendMask, syscallInterrupted } from './deliver';
import { childExited, faultSignal, platformSignal, queueSignal, sendSignal, sigBit, takeJobStatus } from './send';
import { kernelInfo } from './siginfo';
import { isStopped } from './state';
import { HANDLER, RESTORER, child, handler, sandbox, thread } from './testing';

const bit = sigBit;

function rtSigreturn(s: ReturnType<typeof sandbox>): unknown {
  // The handler returns: `ret` pops pretcode, the restorer makes the syscall.
  s.ctx.regs.set(REG.rsp, s.ctx.regs.get(REG.rsp) + 8n);
  return signalSyscalls.rt_sigreturn!.handler(s.task, argsOf(s.ctx, SYS.rt_sigreturn));
}

describe('signal delivery', () => {
  it('runs a handler: rip, arguments, mask = sa_mask | signo, and rt_sigreturn restores state', () => {
    const s = sandbox();
    const p = s.task.process;
    p.sigactions.set(SIG.SIGUSR1, handler(SA.SIGINFO, bit(SIG.SIGUSR2)));
    s.task.sigmask = bit(SIG.SIGHUP);
    const rip = s.ctx.regs.get(REG.rip);
    const rsp = s.ctx.regs.get(REG.rsp);
    s.ctx.regs.set(REG.rax, 42n);
    sendSignal(p, SIG.SIGUSR1);
    assert.deepEqual(s.interrupted, [s.task]);
    assert.equal(deliverPending(s.task), true);
    assert.equal(s.ctx.regs.get(REG.rip), HANDLER);
    assert.equal(s.ctx.regs.get(REG.rdi), BigInt(SIG.SIGUSR1));
    assert.equal(s.task.sigmask, bit(SIG.SIGHUP) | bit(SIG.SIGUSR2) | bit(SIG.SIGUSR1));
    const frame = Number(s.ctx.regs.get(REG.rsp));
    assert.equal(s.ctx.memory.read(frame, 8).readBigUInt64LE(0), RESTORER);
    assert.equal(s.ctx.memory.read(frame + FRAME.INFO, 128).readInt32LE(SIGINFO.CODE), SI.KERNEL);
    assert.equal(rtSigreturn(s), SyscallControl.REGS_SET);
    assert.equal(s.ctx.regs.get(REG.rip), rip);
    assert.equal(s.ctx.regs.get(REG.rsp), rsp);
    assert.equal(s.ctx.regs.get(REG.rax), 42n);
    assert.equal(s.task.sigmask, bit(SIG.SIGHUP));
  });

  it('SA_NODEFER leaves the signal unblocked; SA_RESETHAND resets the handler to SIG_DFL', () => {
    const s = sandbox();
    const p = s.task.process;
    p.sigactions.set(SIG.SIGUSR1, handler(SA.NODEFER | SA.RESETHAND));
    sendSignal(s.task, SIG.SIGUSR1);
    deliverPending(s.task);
    assert.equal(s.task.sigmask, 0n);
    assert.equal(p.sigactions.get(SIG.SIGUSR1).handler, 0n);
    // A second SIGUSR1 now takes the default action (terminate).
    sendSignal(s.task, SIG.SIGUSR1);
    assert.equal(p.exitStatus, SIG.SIGUSR1);
  });

  it('nests frames for several pending signals, lowest number first', () => {
    const s = sandbox();
    const p = s.task.process;
    s.task.sigmask = bit(SIG.SIGUSR1) | bit(SIG.SIGUSR2);
    p.sigactions.set(SIG.SIGUSR1, handler());
    p.sigactions.set(SIG.SIGUSR2, handler());
    sendSignal(p, SIG.SIGUSR2);
    sendSignal(p, SIG.SIGUSR1);
    assert.equal(p.sigPending.mask, bit(SIG.SIGUSR1) | bit(SIG.SIGUSR2));
    s.task.sigmask = 0n;
    deliverPending(s.task);
    assert.equal(p.sigPending.mask, 0n);
    // The innermost frame (SIGUSR2) saved the mask the SIGUSR1 handler runs with.
    assert.equal(s.ctx.regs.get(REG.rdi), BigInt(SIG.SIGUSR2));
    const uc = Number(s.ctx.regs.get(REG.rdx));
    assert.equal(s.ctx.memory.read(uc + UCONTEXT.SIGMASK, 8).readBigUInt64LE(0), bit(SIG.SIGUSR1));
  });

  it('default actions: terminate and core end the process; ignore drops; SIG_IGN drops at send time', () => {
    let s = sandbox();
    sendSignal(s.task.process, SIG.SIGTERM);
    assert.equal(s.task.process.exitStatus, SIG.SIGTERM);
    assert.equal(deliverPending(s.task), false);
    s = sandbox();
    sendSignal(s.task.process, SIG.SIGQUIT);
    assert.equal(s.task.process.exitStatus, SIG.SIGQUIT | 0x80);
    s = sandbox();
    assert.equal(queueSignal(s.task.process, SIG.SIGCHLD), false);
    s.task.process.sigactions.set(SIG.SIGTERM, { handler: SIG_IGN, flags: 0n, restorer: 0n, mask: 0n });
    assert.equal(queueSignal(s.task.process, SIG.SIGTERM), false);
    assert.equal(s.task.process.exitStatus, undefined);
    assert.deepEqual(s.interrupted, []);
  });

  it('a blocked fatal signal waits in the queue and kills when unblocked', () => {
    const s = sandbox();
    s.task.sigmask = bit(SIG.SIGTERM);
    sendSignal(s.task.process, SIG.SIGTERM);
    assert.equal(s.task.process.exitStatus, undefined);
    assert.equal(deliverPending(s.task), true);
    s.task.sigmask = 0n;
    assert.equal(deliverPending(s.task), false);
    assert.equal(s.task.process.exitStatus, SIG.SIGTERM);
  });

  it('SIGKILL ends the process even when everything is blocked', () => {
    const s = sandbox();
    s.task.sigmask = 0xffff_ffff_ffff_ffffn;
    sendSignal(s.task, SIG.SIGKILL);
    assert.equal(s.task.process.exitStatus, SIG.SIGKILL);
    assert.ok(s.ctx.killed);
  });

  it('stop and continue: the parent sees WUNTRACED/WCONTINUED statuses and SIGCHLD', () => {
    const s = sandbox();
    const c = child(s.kernel, s.task.process);
    let events = 0;
    s.task.process.childEvents.add(() => events++);
    s.task.process.sigactions.set(SIG.SIGCHLD, handler(SA.SIGINFO));
    sendSignal(c.task.process, SIG.SIGSTOP);
    assert.equal(isStopped(c.task.process), true);
    assert.equal(events, 1);
    assert.equal(takeJobStatus(c.task.process, false, true), undefined, 'not without WUNTRACED');
    assert.equal(takeJobStatus(c.task.process, true, false, true), (SIG.SIGSTOP << 8) | 0x7f, 'WNOWAIT peeks');
    assert.equal(takeJobStatus(c.task.process, true, false), (SIG.SIGSTOP << 8) | 0x7f);
    assert.equal(takeJobStatus(c.task.process, true, false), undefined, 'reported once');
    const chld = s.task.process.sigPending.dequeue(0n);
    assert.equal(chld?.signo, SIG.SIGCHLD);
    assert.equal(chld?.info.readInt32LE(SIGINFO.CODE), 5 /* CLD_STOPPED */);
    assert.equal(chld?.info.readInt32LE(SIGINFO.PID), c.task.process.pid);
    // A stopped process takes no signals until SIGCONT (SIGUSR1 has a handler, so it is queued).
    c.task.process.sigactions.set(SIG.SIGUSR1, handler());
    sendSignal(c.task.process, SIG.SIGUSR1);
    const rip = c.ctx.regs.get(REG.rip);
    assert.equal(deliverPending(c.task), true);
    assert.equal(c.ctx.regs.get(REG.rip), rip);
    sendSignal(c.task.process, SIG.SIGCONT);
    assert.equal(isStopped(c.task.process), false);
    assert.equal(events, 2);
    assert.equal(takeJobStatus(c.task.process, false, true), 0xffff);
    deliverPending(c.task);
    assert.equal(c.ctx.regs.get(REG.rip), HANDLER);
  });

  it('SIGCONT discards pending stop signals; a stop signal discards pending SIGCONT', () => {
    const s = sandbox();
    const p = s.task.process;
    s.task.sigmask = bit(SIG.SIGTSTP) | bit(SIG.SIGCONT);
    sendSignal(p, SIG.SIGTSTP);
    assert.equal(p.sigPending.mask, bit(SIG.SIGTSTP));
    sendSignal(p, SIG.SIGCONT);
    assert.equal(p.sigPending.mask, bit(SIG.SIGCONT));
    sendSignal(p, SIG.SIGTSTP);
    assert.equal(p.sigPending.mask, bit(SIG.SIGTSTP));
    // Unblocked, the queued SIGTSTP stops the process at delivery.
    s.task.sigmask = 0n;
    deliverPending(s.task);
    assert.equal(isStopped(p), true);
  });

  it('process-directed signals interrupt a thread that does not block them', () => {
    const s = sandbox();
    const p = s.task.process;
    const t2 = thread(s.kernel, p, s.ctx);
    p.sigactions.set(SIG.SIGUSR1, handler());
    s.task.sigmask = bit(SIG.SIGUSR1);
    sendSignal(p, SIG.SIGUSR1);
    assert.deepEqual(s.interrupted, [t2]);
    assert.equal(deliverPending(s.task), true);
    assert.equal(p.sigPending.mask, bit(SIG.SIGUSR1), 'the blocking thread does not take it');
  });

  it('syscall restart: SA_RESTART re-executes a restartable syscall, otherwise EINTR', () => {
    for (const [flags, how, restarted] of [
      [SA.RESTART, 'restart', true], [0, 'restart', false], [SA.RESTART, 'eintr', false],
    ] as const) {
      const s = sandbox();
      s.ctx.regs.set(REG.orig_rax, BigInt(SYS.read));
      const rip = s.ctx.regs.get(REG.rip);
      s.task.process.sigactions.set(SIG.SIGUSR1, handler(flags));
      sendSignal(s.task, SIG.SIGUSR1);
      syscallInterrupted(s.task, how);
      deliverPending(s.task);
      const uc = Number(s.ctx.regs.get(REG.rdx)) + UCONTEXT.MCONTEXT;
      const saved = s.ctx.memory.read(uc, 256);
      const savedRip = saved.readBigUInt64LE(16 * 8);
      const savedRax = saved.readBigUInt64LE(13 * 8);
      if (restarted) {
        assert.equal(savedRip, rip - 2n, `${flags} ${how}`);
        assert.equal(savedRax, BigInt(SYS.read));
      } else {
        assert.equal(savedRip, rip, `${flags} ${how}`);
        assert.equal(savedRax, BigInt.asUintN(64, BigInt(-Errno.EINTR)));
      }
    }
  });

  it('with no handler to run, a restartable syscall restarts and an eintr one fails', () => {
    let s = sandbox();
    s.ctx.regs.set(REG.orig_rax, BigInt(SYS.read));
    const rip = s.ctx.regs.get(REG.rip);
    syscallInterrupted(s.task, 'restart');
    deliverPending(s.task);
    assert.equal(s.ctx.regs.get(REG.rip), rip - 2n);
    assert.equal(s.ctx.regs.get(REG.rax), BigInt(SYS.read));
    s = sandbox();
    syscallInterrupted(s.task, 'eintr');
    deliverPending(s.task);
    assert.equal(s.ctx.regs.get(REG.rax), BigInt.asUintN(64, BigInt(-Errno.EINTR)));
  });

  it('faults: a blocked or ignored SIGSEGV kills; a handled one gets cr2 and si_addr', () => {
    let s = sandbox();
    s.task.sigmask = bit(SIG.SIGSEGV);
    s.task.process.sigactions.set(SIG.SIGSEGV, handler());
    const info = kernelInfo(SIG.SIGSEGV, 1 /* SEGV_MAPERR */);
    info.writeBigUInt64LE(0xdead000n, SIGINFO.ADDR);
    assert.equal(faultSignal(s.task, SIG.SIGSEGV, info), false);
    assert.equal(s.task.process.exitStatus, 0x8b);
    s = sandbox();
    s.task.process.sigactions.set(SIG.SIGSEGV, { handler: SIG_IGN, flags: 0n, restorer: 0n, mask: 0n });
    assert.equal(faultSignal(s.task, SIG.SIGSEGV, info), false);
    s = sandbox();
    s.task.process.sigactions.set(SIG.SIGSEGV, handler(SA.SIGINFO));
    assert.equal(faultSignal(s.task, SIG.SIGSEGV, info), true);
    assert.equal(deliverPending(s.task), true);
    const uc = Number(s.ctx.regs.get(REG.rdx));
    assert.equal(s.ctx.memory.read(uc + UCONTEXT.MCONTEXT + 176, 8).readBigUInt64LE(0), 0xdead000n);
    assert.equal(s.ctx.memory.read(Number(s.ctx.regs.get(REG.rsi)) + SIGINFO.ADDR, 8).readBigUInt64LE(0), 0xdead000n);
  });

  it('a handler frame that cannot be written forces SIGSEGV', () => {
    const s = sandbox();
    s.task.process.sigactions.set(SIG.SIGUSR1, handler());
    s.ctx.regs.set(REG.rsp, 0x1000n);
    sendSignal(s.task, SIG.SIGUSR1);
    assert.equal(deliverPending(s.task), false);
    assert.equal(s.task.process.exitStatus, 0x8b);
  });

  it('a corrupted rt_sigreturn frame raises SIGSEGV', () => {
    const s = sandbox();
    s.ctx.regs.set(REG.rsp, 0x2000n);
    assert.equal(signalSyscalls.rt_sigreturn!.handler(s.task, argsOf(s.ctx, SYS.rt_sigreturn)), SyscallControl.TASK_EXITED);
    assert.equal(s.task.process.exitStatus, 0x8b);
  });

  it('rt_sigsuspend: the handler runs under the temporary mask and returns to the original one', () => {
    const s = sandbox();
    s.task.sigmask = bit(SIG.SIGUSR1);
    s.task.process.sigactions.set(SIG.SIGUSR1, handler());
    sendSignal(s.task.process, SIG.SIGUSR1);
    suspendMask(s.task, 0n);
    s.ctx.regs.set(REG.rax, BigInt(-Errno.EINTR));
    deliverPending(s.task);
    assert.equal(s.ctx.regs.get(REG.rip), HANDLER);
    assert.equal(s.task.sigmask, bit(SIG.SIGUSR1));
    rtSigreturn(s);
    assert.equal(s.task.sigmask, bit(SIG.SIGUSR1));
    assert.equal(s.ctx.regs.get(REG.rax), BigInt.asUintN(64, BigInt(-Errno.EINTR)));
  });

  it('SS_AUTODISARM: the handler runs on the alternate stack, disarmed; rt_sigreturn re-arms it', () => {
    const s = sandbox();
    const alt = { sp: 0x7000_2000, flags: SS.AUTODISARM, size: 0x4000 };
    s.task.altStack = alt;
    s.task.process.sigactions.set(SIG.SIGUSR1, handler(SA.ONSTACK));
    sendSignal(s.task, SIG.SIGUSR1);
    deliverPending(s.task);
    const rsp = Number(s.ctx.regs.get(REG.rsp));
    assert.ok(rsp > alt.sp && rsp < alt.sp + alt.size);
    assert.deepEqual(s.task.altStack, { sp: 0, flags: SS.DISABLE, size: 0 });
    const uc = Number(s.ctx.regs.get(REG.rdx));
    assert.equal(s.ctx.memory.read(uc + UCONTEXT.STACK + 8, 4).readInt32LE(0), SS.AUTODISARM);
    rtSigreturn(s);
    assert.deepEqual(s.task.altStack, alt);
  });

  it('a child exit sends the exit signal with CLD_EXITED / CLD_KILLED', () => {
    const s = sandbox();
    s.task.process.sigactions.set(SIG.SIGCHLD, handler());
    const c = child(s.kernel, s.task.process);
    c.task.process.exitStatus = 3 << 8;
    childExited(c.task.process);
    let q = s.task.process.sigPending.dequeue(0n);
    assert.equal(q?.info.readInt32LE(SIGINFO.CODE), 1);
    assert.equal(q?.info.readInt32LE(SIGINFO.STATUS), 3);
    const d = child(s.kernel, s.task.process);
    d.task.process.exitStatus = SIG.SIGKILL;
    childExited(d.task.process);
    q = s.task.process.sigPending.dequeue(0n);
    assert.equal(q?.info.readInt32LE(SIGINFO.CODE), 2);
    assert.equal(q?.info.readInt32LE(SIGINFO.STATUS), SIG.SIGKILL);
  });
});

describe('platform signal stops', () => {
  it('forces CPU faults but treats signals from outside as process-directed', () => {
    let s = sandbox();
    s.task.sigmask = bit(SIG.SIGSEGV);
    assert.equal(platformSignal(s.task, SIG.SIGSEGV, kernelInfo(SIG.SIGSEGV, 1)), false);
    assert.equal(s.task.process.exitStatus, 0x8b);
    s = sandbox();
    s.task.sigmask = bit(SIG.SIGSEGV) | bit(SIG.SIGINT);
    assert.equal(platformSignal(s.task, SIG.SIGSEGV, kernelInfo(SIG.SIGSEGV, SI.USER)), true);
    assert.equal(platformSignal(s.task, SIG.SIGINT, kernelInfo(SIG.SIGINT, SI.USER)), true);
    assert.equal(s.task.process.sigPending.mask, bit(SIG.SIGSEGV) | bit(SIG.SIGINT));
    assert.equal(s.task.sigmask, bit(SIG.SIGSEGV) | bit(SIG.SIGINT), 'nothing unblocked');
  });
});
