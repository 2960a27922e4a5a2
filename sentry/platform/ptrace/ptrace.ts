/**
 * The ptrace platform. Each application address space is a stub process
 * (see stub.ts) spawned with posix_spawn (never fork from Node) and seized
 * with PTRACE_O_EXITKILL, so it dies with the Sentry. The app runs under
 * PTRACE_SYSEMU: every syscall stops here and is never executed by the host.
 * Host syscalls the Sentry needs in the stub (mmap, munmap, mprotect,
 * mremap) are injected at the stub's `syscall; int3` site with arguments
 * the Sentry chose.
 */
import { raw, errno, HostError, check } from '../host/libc';
import { PTRACE, PTRACE_O, PTRACE_EVENT_STOP, REG, WALL, WNOHANG } from '../../abi/linux/ptrace';
import { SIG } from '../../abi/linux/signal';
import { SYS } from '../../abi/linux/syscalls';
import { Errno } from '../../abi/linux/errno';
import { LinuxError } from '../../errors/linuxerr';
import { AddressSpace, Context, MemoryIO, Platform, Registers, StopEvent } from '../platform';
import { buildStubElf, STUB_BASE, STUB_SIZE, STUB_SYSCALL_DONE, STUB_SYSCALL_SITE } from './stub';
import { Tracee, pinToCurrentCpu, decodeWaitStatus, WaitStatus } from './host';
import { hostClockNs, processCpuClock } from '../host/clock';
import { buildStubFilter, sockFprog } from '../host/seccomp';
import { isRoot, SANDBOX_GID, SANDBOX_UID } from '../host/privileges';
import { HostMemoryFile } from '../host/memfile';

/** Linux's TASK_SIZE on x86_64 (47-bit user address space). */
const HOST_TASK_SIZE = 0x7fff_ffff_f000;
const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MREMAP_MAYMOVE = 1;
const MREMAP_FIXED = 2;
const POSIX_SPAWN_SETSID = 0x80;
/** The shared memory file's fd in every stub (forked stubs inherit it; threads share it). */
const STUB_MEMFD = 3;
const MFD_CLOEXEC = 1;
const F_DUPFD = 0;
const NO_SYSCALL = BigInt.asUintN(64, -1n);
const EINTR = 4;
/** Injected clones (fork, threads) are auto-attached with these same options. */
const TRACE_OPTIONS = PTRACE_O.EXITKILL | PTRACE_O.TRACESYSGOOD | PTRACE_O.TRACECLONE | PTRACE_O.TRACEFORK;
/** A new stub process: a sibling of its parent stub (so the Sentry is its parent), exit signal 0. */
const CLONE_STUB_PROCESS = 0x00008000; // CLONE_PARENT
/** A new host thread in the same stub (CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM). */
const CLONE_STUB_THREAD = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000;

export class PtracePlatform implements Platform {
  readonly name = 'ptrace';
  readonly cpu: number;
  private readonly stubPath: string;
  /** Every live context by host tid, for routing waitpid(-1) results. */
  readonly contexts = new Map<number, PtraceContext>();
  private readonly status = new Int32Array(1);
  /** Backs MAP_SHARED file mappings in every stub. */
  readonly memory = new HostMemoryFile();
  get sharedMemory(): HostMemoryFile {
    return this.memory;
  }
  onInterrupted: ((ctx: Context) => void) | undefined;

  constructor() {
    // Tracer and tracees on one CPU: every stop is then a same-CPU wake-up.
    this.cpu = pinToCurrentCpu();
    // Close-on-exec: no other child (a Gofer) inherits it. A stub still execs it
    // by /proc/self/fd (resolved before exec closes it) and gets its copy by dup2.
    let fd = check('memfd_create', raw.memfdCreate('tsvisor-stub', MFD_CLOEXEC) as number);
    // The spawn's dup2 to STUB_MEMFD must not replace the stub's own file before it is exec'd.
    if (fd === STUB_MEMFD) fd = check('fcntl(F_DUPFD)', raw.fcntl(fd, F_DUPFD, STUB_MEMFD + 1) as number);
    const elf = buildStubElf();
    if ((raw.write(fd, elf, elf.length) as number) !== elf.length) throw new HostError('write stub', errno());
    // /proc/self: correct in the spawned child whatever PID namespace we are in.
    this.stubPath = `/proc/self/fd/${fd}`;
  }

  /**
   * Blocks until any tracee stops (waitpid(-1, __WALL)): the Sentry is the
   * parent of every stub, and its only other child is its Gofer. Returns
   * undefined for a status that needs nothing from the kernel (an event
   * stop, resumed here, or a child that is not a stub), and, when `block`
   * is false, when no tracee has stopped. With `only`, just that context's
   * stop (the host finds one tracee at once, where -1 walks them all).
   */
  waitAny(block = true, only?: Context): PlatformStop | undefined {
    const target = only?.hostPid ?? -1;
    const pid = raw.waitpid(target, this.status, block ? WALL : WALL | WNOHANG) as number;
    if (pid === 0) return undefined;
    if (pid < 0) {
      const e = errno();
      // ECHILD for one context: its host thread is already reaped (the task ended), nothing to report.
      if (e === EINTR || (e === Errno.ECHILD && target > 0)) return undefined;
      throw new HostError(`waitpid(${target})`, e);
    }
    const ctx = this.contexts.get(pid);
    if (!ctx) return undefined;
    const event = ctx.interpret(decodeWaitStatus(this.status[0]));
    if (event === undefined) {
      this.onInterrupted?.(ctx);
      // The hook may have ended the process (an OOM kill): then there is nothing to resume.
      if (this.contexts.get(pid) === ctx) ctx.resume();
    }
    return event && { ctx, event };
  }

  newContext(): PtraceContext {
    const pid = spawnStub(this.stubPath, this.memory.fd);
    const t = new Tracee(pid);
    try {
      t.ptrace(PTRACE.SEIZE, 0, TRACE_OPTIONS, 'PTRACE_SEIZE');
      t.ptrace(PTRACE.INTERRUPT, 0, 0, 'PTRACE_INTERRUPT');
      const st = t.wait();
      if (!st.stopped || st.event !== PTRACE_EVENT_STOP) throw new Error(`stub did not stop (status ${st.raw})`);
      const ctx = new PtraceContext(this, t);
      ctx.regs.set(REG.rip, BigInt(STUB_SYSCALL_SITE));
      // Leave only the stub page: no host stack, vDSO or vvar for the app to find.
      ctx.injectChecked(SYS.munmap, 0, STUB_BASE);
      ctx.injectChecked(SYS.munmap, STUB_BASE + STUB_SIZE, HOST_TASK_SIZE - STUB_BASE - STUB_SIZE);
      ctx.injectChecked(SYS.close_range, 0, STUB_MEMFD - 1, 0);
      ctx.injectChecked(SYS.close_range, STUB_MEMFD + 1, 0xffffffff, 0);
      harden(ctx);
      return ctx;
    } catch (e) {
      t.kill(SIG.SIGKILL);
      t.wait();
      throw e;
    }
  }
}

const PAGE = 0x1000;
const PROT_RW = 3;
const PROT_READ = 1;
const PROT_WRITE = 2;

/**
 * The protection a stub's pages get for the app's `prot`: x86 has no
 * write-only pages, so a writable page is readable by the app itself, but
 * the host checks the mapping's own bits when the Sentry reads it with
 * process_vm_readv (or a syscall copies from it): such pages are mapped
 * readable too, so that a write(2) from memory the app mapped PROT_WRITE
 * sends its bytes as on Linux. The app's view (/proc/self/maps, mprotect
 * rules) keeps its own prot.
 */
function hostProt(prot: number): number {
  return prot & PROT_WRITE ? prot | PROT_READ : prot;
}
/** mincore's vector for one injection: a byte per page, so 256 MiB of app memory per call. */
const MINCORE_VECTOR = 64 * 1024;
const PR_SET_DUMPABLE = 4;
const PR_SET_NAME = 15;
/** The stub's name on the host (`ps`, /proc/PID/comm); its argv is unmapped with its stack. */
export const STUB_COMM = 'tsvisor-stub';
const PR_SET_NO_NEW_PRIVS = 38;
const SECCOMP_SET_MODE_FILTER = 1;

/**
 * Defense in depth for the stub: the Sentry's unprivileged uid (which
 * clears every capability), no_new_privs, and a seccomp filter that allows
 * only the syscalls the Sentry injects; and a recognisable name. Dumpable is set back after the uid
 * change so the (equally unprivileged) Sentry keeps ptrace and
 * process_vm access. Uses a scratch page above the app's address space.
 */
function harden(ctx: PtraceContext): void {
  const scratch = STUB_BASE + STUB_SIZE;
  const filter = buildStubFilter();
  ctx.mapAnonymous(scratch, PAGE, PROT_RW);
  ctx.write(scratch, sockFprog(filter, BigInt(scratch + 64)));
  ctx.write(scratch + 64, filter);
  ctx.write(scratch + 32, Buffer.from(`${STUB_COMM}\0`));
  ctx.injectChecked(SYS.prctl, PR_SET_NAME, scratch + 32, 0, 0, 0);
  if (isRoot()) {
    ctx.injectChecked(SYS.setgroups, 0, 0);
    ctx.injectChecked(SYS.setresgid, SANDBOX_GID, SANDBOX_GID, SANDBOX_GID);
    ctx.injectChecked(SYS.setresuid, SANDBOX_UID, SANDBOX_UID, SANDBOX_UID);
  }
  ctx.injectChecked(SYS.prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
  ctx.injectChecked(SYS.prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  ctx.injectChecked(SYS.seccomp, SECCOMP_SET_MODE_FILTER, 0, scratch);
  ctx.unmap(scratch, PAGE);
}

export interface PlatformStop {
  ctx: PtraceContext;
  event: StopEvent;
}

/** Starts a stub with the shared memory file at STUB_MEMFD. */
function spawnStub(path: string, memfd: number): number {
  const attr = Buffer.alloc(512);
  const actions = Buffer.alloc(512);
  check('posix_spawn_file_actions_init', raw.fileActionsInit(actions) as number);
  check('posix_spawn_file_actions_adddup2', raw.fileActionsAddDup2(actions, memfd, STUB_MEMFD) as number);
  check('posix_spawnattr_init', raw.spawnAttrInit(attr) as number);
  // Own session: terminal signals for the Sentry never reach the app's host process.
  raw.spawnAttrSetflags(attr, POSIX_SPAWN_SETSID);
  const pidOut = [0];
  const rc = raw.posixSpawn(pidOut, path, actions, attr, ['tsvisor-stub', null], [null]) as number;
  raw.spawnAttrDestroy(attr);
  raw.fileActionsDestroy(actions);
  if (rc !== 0) throw new HostError('posix_spawn stub', rc);
  return pidOut[0];
}

export class PtraceContext implements Context, MemoryIO, AddressSpace {
  readonly regs = new Registers();
  private readonly scratch = new BigUint64Array(27);
  private dead = false;
  /** Resumed and not yet seen stopping. */
  private running = false;
  /** Signal to deliver on the next resume (0: none). */
  private resumeSignal = 0;
  readonly mem: MemoryIO = this;
  readonly as: AddressSpace = this;

  constructor(
    private readonly platform: PtracePlatform,
    private readonly t: Tracee,
  ) {
    t.getRegs(this.regs.words);
    platform.contexts.set(t.pid, this);
  }

  get hostPid(): number {
    return this.t.pid;
  }

  /** Writes back registers the kernel changed and lets the app run (returns at once). */
  resume(): void {
    this.flushRegs();
    this.running = true;
    const sig = this.resumeSignal;
    this.resumeSignal = 0;
    this.t.ptrace(PTRACE.SYSEMU, 0, sig, 'PTRACE_SYSEMU');
  }

  /** What a wait status of this tracee means; undefined for stops that only need a resume. */
  interpret(st: WaitStatus): StopEvent | undefined {
    this.running = false;
    if (!st.stopped) {
      this.forget();
      return { kind: 'gone', status: st.raw };
    }
    this.t.getRegs(this.regs.words);
    if (st.code === (SIG.SIGTRAP | 0x80)) return { kind: 'syscall' };
    if (st.event !== 0) return undefined; // group-stop / event stops
    return { kind: 'signal', signo: st.code, siginfo: this.t.getSiginfo() };
  }

  /** Runs the app until its next stop, waiting for this tracee only. */
  switchTo(): StopEvent {
    for (;;) {
      this.resume();
      const ev = this.interpret(this.t.wait());
      if (ev) return ev;
    }
  }

  /** A copy of this address space in a new stub process (fork: the host copies on write). */
  fork(): PtraceContext {
    return this.cloneStub(CLONE_STUB_PROCESS);
  }

  /** A new host thread in this stub, for a new app thread sharing the address space. */
  newThread(): PtraceContext {
    return this.cloneStub(CLONE_STUB_THREAD);
  }

  private cloneStub(flags: number): PtraceContext {
    const tid = this.injectChecked(SYS.clone, flags, 0, 0, 0, 0);
    const child = new Tracee(tid);
    // Auto-attached (PTRACE_O_TRACECLONE/FORK): it starts in a ptrace stop.
    const st = child.wait();
    if (!st.stopped) throw new HostError(`new stub ${tid} did not stop (status ${st.raw})`, 0);
    return new PtraceContext(this.platform, child);
  }

  /**
   * Stops the thread if it runs app code (its stop is consumed here, not by
   * waitAny). Any stop will do: the interrupt's, or a syscall/fault that
   * came first (that syscall is never run, a fault's signal is dropped).
   * A PTRACE_EVENT_STOP left pending is absorbed by the next resume's loop.
   */
  halt(): void {
    if (this.dead || !this.running) return;
    this.t.ptrace(PTRACE.INTERRUPT, 0, 0, 'PTRACE_INTERRUPT');
    this.interpret(this.t.wait());
    this.resumeSignal = 0;
  }

  /** PTRACE_INTERRUPT without waiting: the event stop comes through waitAny (onInterrupted), which resumes it. */
  interrupt(): void {
    if (!this.dead && this.running) this.t.ptrace(PTRACE.INTERRUPT, 0, 0, 'PTRACE_INTERRUPT');
  }

  /**
   * Ends just this host thread (the app thread exited; others keep the
   * address space). Never for the stub's leader thread while others live:
   * the host reports a leader's exit only after the whole group's, so
   * waiting for it here would never return (the kernel halts it instead).
   */
  exitThread(): void {
    this.halt();
    if (this.dead) return;
    const s = this.scratch;
    s.set(this.regs.words);
    s[REG.rax] = BigInt(SYS.exit);
    s[REG.orig_rax] = NO_SYSCALL;
    s[REG.rip] = BigInt(STUB_SYSCALL_SITE);
    s[REG.rdi] = 0n;
    this.t.setRegs(s);
    this.t.ptrace(PTRACE.CONT, 0, 0, 'PTRACE_CONT');
    while (this.t.wait().stopped) this.t.ptrace(PTRACE.CONT, 0, 0, 'PTRACE_CONT');
    this.forget();
  }

  private forget(): void {
    this.dead = true;
    this.platform.contexts.delete(this.t.pid);
  }

  /** Lets the host deliver `signo` on the next resume (default action). */
  deliverOnResume(signo: number): void {
    this.resumeSignal = signo;
  }

  private flushRegs(): void {
    if (this.regs.dirtyAll) {
      // The Sentry implements syscall restarts itself; orig_rax = -1 keeps the
      // host from rewinding rip for a stale -ERESTART* value in rax.
      // The cached orig_rax keeps the syscall number for re-runs of a parked syscall.
      const nr = this.regs.words[REG.orig_rax];
      this.regs.words[REG.orig_rax] = NO_SYSCALL;
      this.t.setRegs(this.regs.words);
      this.regs.words[REG.orig_rax] = nr;
    } else if (this.regs.dirtyRax) {
      this.t.ptrace(PTRACE.POKEUSER, REG.rax * 8, this.regs.words[REG.rax], 'PTRACE_POKEUSER');
    }
    this.regs.dirtyAll = false;
    this.regs.dirtyRax = false;
  }

  /**
   * Runs one host syscall in the stub with arguments chosen by the Sentry and
   * returns its raw result (negative errno on failure). The app's registers
   * are restored on the next switchTo().
   */
  inject(nr: number, ...args: number[]): number {
    this.flushRegs();
    const s = this.scratch;
    s.set(this.regs.words);
    s[REG.rax] = BigInt(nr);
    s[REG.orig_rax] = NO_SYSCALL;
    s[REG.rip] = BigInt(STUB_SYSCALL_SITE);
    const argRegs = [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9];
    for (let i = 0; i < argRegs.length; i++) s[argRegs[i]] = BigInt.asUintN(64, BigInt(args[i] ?? 0));
    this.t.setRegs(s);
    for (;;) {
      this.t.ptrace(PTRACE.CONT, 0, 0, 'PTRACE_CONT');
      const st = this.t.wait();
      if (!st.stopped) {
        this.forget();
        throw new HostError('stub died during injected syscall', 0);
      }
      if (st.code === SIG.SIGTRAP && st.event === 0) {
        this.t.getRegs(s);
        if (Number(s[REG.rip]) === STUB_SYSCALL_DONE) break;
      } else if (st.event === 0 && st.code !== SIG.SIGTRAP) {
        // A host signal arrived meanwhile; keep it for the app's next resume.
        this.resumeSignal = st.code;
      }
    }
    this.regs.dirtyAll = true; // restore the app's registers before it runs again
    return Number(BigInt.asIntN(64, s[REG.rax]));
  }

  /** inject() that turns a host failure into a LinuxError with the same errno. */
  injectChecked(nr: number, ...args: number[]): number {
    const r = this.inject(nr, ...args);
    if (r < 0 && r > -4096) throw new LinuxError(-r, `injected syscall ${nr}`);
    return r;
  }

  // AddressSpace
  mapAnonymous(addr: number, len: number, prot: number, shared = false): void {
    this.injectChecked(SYS.mmap, addr, len, hostProt(prot), (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
  }
  unmap(addr: number, len: number): void {
    this.injectChecked(SYS.munmap, addr, len);
  }
  protect(addr: number, len: number, prot: number): void {
    this.injectChecked(SYS.mprotect, addr, len, hostProt(prot));
  }
  get sharedMemory(): HostMemoryFile {
    return this.platform.memory;
  }
  mapSharedMemory(addr: number, len: number, prot: number, offset: number): void {
    this.injectChecked(SYS.mmap, addr, len, hostProt(prot), MAP_SHARED | MAP_FIXED, STUB_MEMFD, offset);
  }
  mapPrivateMemory(addr: number, len: number, prot: number, offset: number): void {
    this.injectChecked(SYS.mmap, addr, len, hostProt(prot), MAP_PRIVATE | MAP_FIXED, STUB_MEMFD, offset);
  }
  remap(oldAddr: number, oldLen: number, newLen: number, newAddr: number): void {
    const flags = newAddr === oldAddr ? 0 : MREMAP_MAYMOVE | MREMAP_FIXED;
    this.injectChecked(SYS.mremap, oldAddr, oldLen, newLen, flags, newAddr);
  }

  /**
   * mincore(2) injected over each area, its vector in a scratch mapping
   * above the app's address space (as harden() uses): for private anonymous
   * memory a page is reported once it is present, i.e. touched. An area
   * that is gone (ENOMEM) counts as nothing.
   */
  residentBytes(areas: ReadonlyArray<{ start: number; end: number }>): number {
    const scratch = STUB_BASE + STUB_SIZE;
    const span = MINCORE_VECTOR * PAGE;
    this.injectChecked(SYS.mmap, scratch, MINCORE_VECTOR, PROT_RW, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
    try {
      const vec = Buffer.allocUnsafe(MINCORE_VECTOR);
      let pages = 0;
      for (const a of areas) {
        for (let s = a.start; s < a.end; s += span) {
          const len = Math.min(a.end - s, span);
          if (this.inject(SYS.mincore, s, len, scratch) < 0) continue;
          const v = vec.subarray(0, len / PAGE);
          this.readInto(scratch, v);
          for (let i = 0; i < v.length; i++) pages += v[i] & 1;
        }
      }
      return pages * PAGE;
    } finally {
      this.inject(SYS.munmap, scratch, MINCORE_VECTOR);
    }
  }

  // MemoryIO
  read(addr: number, len: number): Buffer {
    const b = Buffer.allocUnsafe(len);
    this.readInto(addr, b);
    return b;
  }
  readInto(addr: number, dst: Uint8Array): void {
    if (this.t.readv(addr, dst) !== dst.length) throw new LinuxError(Errno.EFAULT, `read ${dst.length}@${addr.toString(16)}`);
  }
  write(addr: number, src: Uint8Array): void {
    if (this.t.writev(addr, src) !== src.length) throw new LinuxError(Errno.EFAULT, `write ${src.length}@${addr.toString(16)}`);
  }
  writeParts(addr: number, parts: readonly Uint8Array[]): void {
    const len = parts.reduce((n, p) => n + p.length, 0);
    if (this.t.writeParts(addr, parts) !== len) throw new LinuxError(Errno.EFAULT, `write ${len}@${addr.toString(16)}`);
  }

  cpuTimeNs(): bigint {
    return this.dead ? 0n : (hostClockNs(processCpuClock(this.t.pid)) ?? 0n);
  }

  kill(): void {
    if (this.dead) return;
    this.forget();
    this.t.kill(SIG.SIGKILL);
    for (;;) {
      const st = this.t.wait();
      if (!st.stopped) return;
    }
  }
}
