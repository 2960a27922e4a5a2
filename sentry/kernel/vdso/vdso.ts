/**
 * The sandbox's vDSO: one copy of the image (image.ts) and one vvar page
 * (vvar.ts) in the platform's shared memory, mapped into every process at
 * exec and announced with AT_SYSINFO_EHDR. clock_gettime, gettimeofday,
 * time, clock_getres and getcpu then run in the app without a syscall (a
 * trapped one costs ~15 us); the Timekeeper keeps the parameters the clocks
 * read. Without a TSC the host keeps time by, or without shared memory,
 * there is no vDSO and those calls are trapped as before.
 */
import { CLOCK } from '../../abi/linux/time';
import { PAGE_SIZE, PROT, PROT_RWX } from '../../abi/linux/mm';
import type { MemoryManager } from '../../mm/mm';
import { hostClockNs } from '../../platform/host/clock';
import { hostClocksource, tscReader } from '../../platform/host/tsc';
import type { SharedMemory } from '../../platform/platform';
import { buildVdsoImage, VDSO_SIZE } from './image';
import { ClockSources, Timekeeper } from './timekeeper';
import { VvarPage } from './vvar';

export class Vdso {
  readonly clock: Timekeeper;
  /** Offset of the vvar page in the shared memory; the image follows it. */
  private readonly slot: number;

  constructor(
    mem: SharedMemory,
    private readonly sources: ClockSources,
  ) {
    this.slot = mem.allocSlot();
    mem.write(this.slot + PAGE_SIZE, buildVdsoImage());
    const vvar = new VvarPage(mem, this.slot);
    vvar.write(undefined);
    this.clock = new Timekeeper(sources, (p) => vvar.write(p));
  }

  /**
   * Maps the vvar page and, right above it, the image into a new process
   * image (after its segments, as Linux does) and returns the image's
   * address. The vvar page is read-only for good (the host mapping is
   * shared, so the Sentry's updates show; /proc/[pid]/maps shows it private
   * as Linux does); the image is a private copy, like Linux's.
   */
  map(mm: MemoryManager): number {
    this.clock.calibrate();
    this.clock.tick(this.sources.host(CLOCK.MONOTONIC));
    const start = mm.findFree(PAGE_SIZE + VDSO_SIZE);
    mm.mapArea({
      start, end: start + PAGE_SIZE, prot: PROT.READ, maxProt: PROT.READ, shared: false, growsDown: false,
      backing: { kind: 'vdso', name: '[vvar]', offset: this.slot },
    });
    mm.mapArea({
      start: start + PAGE_SIZE, end: start + PAGE_SIZE + VDSO_SIZE, prot: PROT.READ | PROT.EXEC, maxProt: PROT_RWX, shared: false, growsDown: false,
      backing: { kind: 'vdso', name: '[vdso]', offset: this.slot + PAGE_SIZE },
    });
    return start + PAGE_SIZE;
  }
}

/** The host's clock_gettime, for the Timekeeper (clocks it always has). */
function hostNs(clk: number): bigint {
  const ns = hostClockNs(clk);
  if (ns === undefined) throw new Error(`host clock ${clk} unavailable`);
  return ns;
}

/**
 * The vDSO for a kernel on `mem`, when the platform has shared memory and
 * the host keeps time with the TSC; else why not (for the debug log). Its
 * clock calibrates from now on: made early, it is ready before the first
 * exec needs it.
 */
export function createVdso(mem: SharedMemory | undefined): Vdso | string {
  if (mem === undefined) return 'the platform has no shared memory';
  const tsc = tscReader();
  return tsc === undefined ? `the host's clocksource is ${hostClocksource()}, not tsc` : new Vdso(mem, { tsc, host: hostNs });
}
