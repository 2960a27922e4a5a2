/**
 * The CPU's time-stamp counter, for the vDSO's clock (kernel/vdso): the
 * app's vDSO reads the TSC with rdtsc, so the Sentry must read the same
 * counter to give trapped clock_gettime calls the same time. Node has no
 * rdtsc, so the Sentry writes a 13-byte function into an executable page of
 * its own and calls it through koffi (~90 ns). Made before the Sentry's
 * seccomp filter is installed.
 */
import { readFileSync } from 'node:fs';
import { MAP, PAGE_SIZE, PROT } from '../../abi/linux/mm';
import koffi from './koffi';
import { raw } from './libc';

/** lfence; rdtsc; shl rdx, 32; or rax, rdx; ret (lfence: not read ahead of earlier loads, as Linux's rdtsc_ordered). */
const RDTSC = Buffer.from('0faee80f3148c1e2204809d0c3', 'hex');

const RDTSC_PROTO = koffi.proto('uint64_t tsvisor_rdtsc(void)');

const CLOCKSOURCE = '/sys/devices/system/clocksource/clocksource0/current_clocksource';

/**
 * The host kernel's clocksource. Linux picks `tsc` only when the TSC ticks
 * at a constant rate and in step on every CPU, which a vDSO clock needs as
 * much as the host's own.
 */
export function hostClocksource(): string {
  try {
    return readFileSync(CLOCKSOURCE, 'latin1').trim();
  } catch {
    return 'unknown';
  }
}

/** A reader of the TSC, or undefined when the host's clocksource is not the TSC or the code page cannot be made. */
export function tscReader(): (() => bigint) | undefined {
  if (hostClocksource() !== 'tsc') return undefined;
  const page: unknown = raw.mmap(null, PAGE_SIZE, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0);
  if (page === null || koffi.address(page) === 0xffff_ffff_ffff_ffffn) return undefined;
  raw.memcpy(page, RDTSC, RDTSC.length);
  if ((raw.mprotect(page, PAGE_SIZE, PROT.READ | PROT.EXEC) as number) !== 0) return undefined;
  const read = koffi.decode(page, RDTSC_PROTO) as () => number | bigint;
  return () => BigInt(read());
}
