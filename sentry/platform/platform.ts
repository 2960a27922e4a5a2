/**
 * The platform boundary: how the Sentry runs application code and touches
 * its memory. Kernel, mm and vfs code import only these interfaces; the
 * ptrace implementation lives in ./ptrace and all FFI in ./host.
 */
import { REG, USER_REGS_WORDS } from '../abi/linux/ptrace';

/** Reads and writes application memory. Failures throw LinuxError(EFAULT). */
export interface MemoryIO {
  read(addr: number, len: number): Buffer;
  readInto(addr: number, dst: Uint8Array): void;
  write(addr: number, src: Uint8Array): void;
  /** Writes `parts` one after another from `addr` on, in one host call where the platform can. */
  writeParts(addr: number, parts: readonly Uint8Array[]): void;
}

/** writeParts for a MemoryIO with no gathering host call: one write per part. */
export function writeEach(mem: Pick<MemoryIO, 'write'>, addr: number, parts: readonly Uint8Array[]): void {
  let at = addr;
  for (const p of parts) {
    mem.write(at, p);
    at += p.length;
  }
}

/**
 * Host memory shared by every address space (the pages of MAP_SHARED file
 * mappings, mm/filecache.ts), in slots of `slotSize` bytes.
 */
export interface SharedMemory {
  readonly slotSize: number;
  /** A zeroed slot; returns its offset. */
  allocSlot(): number;
  /** Frees a slot (its pages are dropped). */
  releaseSlot(offset: number): void;
  read(offset: number, dst: Buffer): void;
  write(offset: number, src: Uint8Array): void;
  /** How many bytes of [offset, offset+len) have pages (touched, not punched out); absent when unknown. */
  residentBytes?(offset: number, len: number): number;
}

/**
 * Changes the host address space that backs the application. Only the
 * Sentry's own arguments reach the host (the mm layer validates app input).
 */
export interface AddressSpace {
  /** MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS of [addr, addr+len) with prot. */
  /** Fresh zeroed memory; `shared` (MAP_SHARED) pages stay shared with the copies fork makes. */
  mapAnonymous(addr: number, len: number, prot: number, shared?: boolean): void;
  unmap(addr: number, len: number): void;
  protect(addr: number, len: number, prot: number): void;
  /** Moves/resizes a mapping to newAddr (MREMAP_MAYMOVE|MREMAP_FIXED), or in place when newAddr is oldAddr. */
  remap(oldAddr: number, oldLen: number, newLen: number, newAddr: number): void;
  /** The platform's shared memory, when it has one (else shared file mappings are not supported). */
  readonly sharedMemory?: SharedMemory;
  /** MAP_FIXED|MAP_SHARED of sharedMemory's bytes [offset, offset+len) at addr. */
  mapSharedMemory?(addr: number, len: number, prot: number, offset: number): void;
  /** MAP_FIXED|MAP_PRIVATE of sharedMemory's bytes [offset, offset+len) at addr: copy-on-write pages of a cached file image. */
  mapPrivateMemory?(addr: number, len: number, prot: number, offset: number): void;
  /**
   * Bytes of the given page-aligned areas that the host has resident (the
   * pages the app touched), for a container's memory limit
   * (kernel/memcg.ts). Only while the address space is stopped.
   */
  residentBytes?(areas: ReadonlyArray<{ start: number; end: number }>): number;
}

/** Why the application stopped running. */
export type StopEvent =
  | { kind: 'syscall' }
  /** A signal was about to be delivered to the app (a fault, or one sent from outside). */
  | { kind: 'signal'; signo: number; siginfo: Buffer }
  /** The host thread is gone (killed from outside the Sentry). */
  | { kind: 'gone'; status: number };

/** The application's register file (x86_64 user_regs_struct) as 64-bit words. */
export class Registers {
  readonly words = new BigUint64Array(USER_REGS_WORDS);
  /** Set when anything other than rax changed since the last sync. */
  dirtyAll = false;
  dirtyRax = false;

  get(reg: number): bigint {
    return this.words[reg];
  }

  set(reg: number, value: bigint): void {
    this.words[reg] = BigInt.asUintN(64, value);
    if (reg === REG.rax) this.dirtyRax = true;
    else this.dirtyAll = true;
  }

  copyFrom(other: Registers): void {
    this.words.set(other.words);
    this.dirtyAll = true;
  }
}

/** One application thread running on the platform. */
export interface Context {
  /** The host process running this context, when there is one (for the runtime's accounting). */
  readonly hostPid?: number;
  readonly regs: Registers;
  readonly mem: MemoryIO;
  readonly as: AddressSpace;
  /** Writes back changed registers, runs the app until its next stop. */
  switchTo(): StopEvent;
  /** Writes back changed registers and lets the app run; its stop comes from Platform.waitAny(). */
  resume(): void;
  /** A copy-on-write copy of this address space with one thread (fork). */
  fork(): Context;
  /** Another thread in this address space (clone with CLONE_VM|CLONE_THREAD). */
  newThread(): Context;
  /** Ends only this thread; the address space stays for the others. */
  exitThread(): void;
  /**
   * Stops the thread if it is running app code and consumes that stop, so
   * the kernel can take it over (set its registers) or leave it stopped
   * for good. No-op if it is already stopped.
   */
  halt(): void;
  /**
   * Asks a thread that runs app code to stop for a moment, without waiting:
   * the platform then calls Platform.onInterrupted with it stopped (so the
   * kernel may inject into it, e.g. to measure its memory) and lets it run
   * on. No-op if it is not running.
   */
  interrupt?(): void;
  /**
   * CPU time, in nanoseconds, of the host process this context's thread is
   * in, all its threads together. The host tells it only through a group
   * leader's pid: other threads' contexts give 0 (Process.cpuTimeNs).
   */
  cpuTimeNs(): bigint;
  /** Kills the host process/thread and reaps it. Idempotent. */
  kill(): void;
}

export interface Platform {
  readonly name: string;
  /** Memory shared by every address space (the vDSO's pages live there too), when the platform has it. */
  readonly sharedMemory?: SharedMemory;
  /** Starts a fresh, empty address space with one thread in it. */
  newContext(): Context;
  /**
   * Blocks until a resumed context stops (with `block` false: returns at
   * once), or just `only`; undefined for host events that need nothing, or
   * no stop.
   */
  waitAny(block?: boolean, only?: Context): { ctx: Context; event: StopEvent } | undefined;
  /** Called from waitAny with a context stopped by Context.interrupt (or another stop the kernel need not see). */
  onInterrupted?: (ctx: Context) => void;
}
