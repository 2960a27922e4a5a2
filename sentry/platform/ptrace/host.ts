/**
 * Typed ptrace/wait/process_vm wrappers over the raw libc bindings. Buffers
 * are allocated once per tracee so the per-syscall path allocates nothing.
 */
import { raw, errno, addressOf, HostError, check } from '../host/libc';
import { PTRACE, WALL, USER_REGS_SIZE } from '../../abi/linux/ptrace';
import { UIO_MAXIOV } from '../../abi/linux/scm';

export interface WaitStatus {
  exited: boolean;
  signaled: boolean;
  stopped: boolean;
  /** Exit code, terminating signal or stop signal, depending on the kind. */
  code: number;
  /** PTRACE_EVENT_* in the high bits of a stop status. */
  event: number;
  raw: number;
}

export function decodeWaitStatus(s: number): WaitStatus {
  const low = s & 0x7f;
  const stopped = (s & 0xff) === 0x7f;
  const exited = low === 0;
  const signaled = !stopped && !exited;
  return {
    exited,
    signaled,
    stopped,
    code: exited ? (s >> 8) & 0xff : stopped ? (s >> 8) & 0xff : low,
    event: stopped ? (s >>> 16) & 0xff : 0,
    raw: s,
  };
}

export class Tracee {
  private readonly status = new Int32Array(1);
  private readonly liov = Buffer.alloc(16);
  private readonly riov = Buffer.alloc(16);
  private readonly liovView = new BigUint64Array(this.liov.buffer, this.liov.byteOffset, 2);
  private readonly riovView = new BigUint64Array(this.riov.buffer, this.riov.byteOffset, 2);
  /** writeParts' local iovecs, grown to the most parts one call has had. */
  private partsIov = Buffer.alloc(0);
  private partsView = new BigUint64Array(0);

  constructor(readonly pid: number) {}

  ptrace(req: number, addr: number | bigint, data: number | bigint, what = 'ptrace'): number {
    const r = raw.ptraceI(req, this.pid, addr, data) as number;
    if (r === -1) throw new HostError(`${what}(${req})`, errno());
    return r;
  }

  getRegs(words: BigUint64Array): void {
    if ((raw.ptraceP(PTRACE.GETREGS, this.pid, 0, words) as number) === -1) {
      throw new HostError('PTRACE_GETREGS', errno());
    }
  }

  setRegs(words: BigUint64Array): void {
    if ((raw.ptraceP(PTRACE.SETREGS, this.pid, 0, words) as number) === -1) {
      throw new HostError('PTRACE_SETREGS', errno());
    }
  }

  getSiginfo(): Buffer {
    const info = Buffer.alloc(128);
    if ((raw.ptraceP(PTRACE.GETSIGINFO, this.pid, 0, info) as number) === -1) {
      throw new HostError('PTRACE_GETSIGINFO', errno());
    }
    return info;
  }

  /** Blocks until this tracee changes state (only this pid, never -1). */
  wait(): WaitStatus {
    for (;;) {
      const r = raw.waitpid(this.pid, this.status, WALL) as number;
      if (r === this.pid) return decodeWaitStatus(this.status[0]);
      const e = errno();
      if (e !== 4 /* EINTR */) throw new HostError('waitpid', e);
    }
  }

  /** Copies app memory into dst; returns the number of bytes copied. */
  readv(addr: number, dst: Uint8Array): number {
    if (dst.length === 0) return 0;
    this.liovView[0] = addressOf(dst);
    this.liovView[1] = BigInt(dst.length);
    this.riovView[0] = BigInt(addr);
    this.riovView[1] = BigInt(dst.length);
    const r = raw.processVmReadv(this.pid, this.liov, 1, this.riov, 1, 0) as number;
    return r < 0 ? 0 : r;
  }

  /**
   * Copies `parts` to app memory from `addr` on, one process_vm_writev per
   * UIO_MAXIOV parts; returns the bytes copied (short on a fault).
   */
  writeParts(addr: number, parts: readonly Uint8Array[]): number {
    let done = 0;
    for (let first = 0; first < parts.length; first += UIO_MAXIOV) {
      const n = Math.min(UIO_MAXIOV, parts.length - first);
      if (this.partsView.length < 2 * n) {
        this.partsIov = Buffer.alloc(2 * n * 8);
        this.partsView = new BigUint64Array(this.partsIov.buffer, this.partsIov.byteOffset, 2 * n);
      }
      let len = 0;
      for (let i = 0; i < n; i++) {
        const p = parts[first + i];
        this.partsView[2 * i] = addressOf(p);
        this.partsView[2 * i + 1] = BigInt(p.length);
        len += p.length;
      }
      if (len === 0) continue;
      this.riovView[0] = BigInt(addr + done);
      this.riovView[1] = BigInt(len);
      const r = raw.processVmWritev(this.pid, this.partsIov, n, this.riov, 1, 0) as number;
      if (r < len) return done + Math.max(r, 0);
      done += len;
    }
    return done;
  }

  writev(addr: number, src: Uint8Array): number {
    if (src.length === 0) return 0;
    this.liovView[0] = addressOf(src);
    this.liovView[1] = BigInt(src.length);
    this.riovView[0] = BigInt(addr);
    this.riovView[1] = BigInt(src.length);
    const r = raw.processVmWritev(this.pid, this.liov, 1, this.riov, 1, 0) as number;
    return r < 0 ? 0 : r;
  }

  kill(sig: number): void {
    raw.kill(this.pid, sig);
  }
}

/** Pins the calling thread (and the children it spawns) to the CPU it runs on. */
export function pinToCurrentCpu(): number {
  const cpu = check('sched_getcpu', raw.schedGetcpu() as number);
  pinToCpu(0, cpu);
  return cpu;
}

/** Pins thread `tid` (0: the calling one) to `cpu`; throws HostError (EPERM for another user's thread without CAP_SYS_NICE). */
export function pinToCpu(tid: number, cpu: number): void {
  const mask = Buffer.alloc(128);
  mask[cpu >> 3] |= 1 << (cpu & 7);
  check('sched_setaffinity', raw.schedSetaffinity(tid, mask.length, mask) as number);
}

export const REGS_BYTES = USER_REGS_SIZE;
