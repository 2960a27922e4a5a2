import { SYSCALL_ARG_REGS, REG } from '../abi/linux/ptrace';
import { Registers } from '../platform/platform';

/**
 * Typed accessors for the six syscall argument registers. Addresses and
 * sizes are returned as JS numbers (user addresses are below 2^47, so they
 * are exact); values that need all 64 bits use u64()/s64().
 */
export class SyscallArgs {
  constructor(private readonly regs: Registers) {}

  get nr(): number {
    return Number(this.regs.get(REG.orig_rax));
  }

  u64(i: number): bigint {
    return this.regs.get(SYSCALL_ARG_REGS[i]);
  }

  s64(i: number): bigint {
    return BigInt.asIntN(64, this.u64(i));
  }

  /** A user pointer; huge (kernel-half) values stay huge and fail range checks. */
  ptr(i: number): number {
    return Number(this.u64(i));
  }

  /** A C `int` argument (low 32 bits, signed). */
  int(i: number): number {
    return Number(BigInt.asIntN(32, this.u64(i)));
  }

  /** A C `unsigned int` argument (low 32 bits). */
  uint(i: number): number {
    return Number(BigInt.asUintN(32, this.u64(i)));
  }

  /** A C `long`/`off_t` argument as a number (exact up to 2^53). */
  long(i: number): number {
    return Number(this.s64(i));
  }

  /** A size_t argument. */
  size(i: number): number {
    return Number(this.u64(i));
  }
}
