/**
 * Measuring a process's resident memory: mincore injected into its stub
 * (AddressSpace.residentBytes), which needs one of its threads stopped.
 */
import { PROT } from '../abi/linux/mm';
import { HostError } from '../platform/host/libc';
import { LinuxError } from '../errors/linuxerr';
import type { MemoryManager } from '../mm/mm';
import type { Process, Task } from './task';

/**
 * Resident bytes of `p` over `areas`, through the first of its threads for
 * which `stopped` holds. Undefined when none is stopped, the platform
 * cannot measure, or the stub is dying (killed from outside).
 */
export function measureResident(
  p: Process,
  areas: ReadonlyArray<{ start: number; end: number }>,
  stopped: (t: Task) => boolean,
): number | undefined {
  const as = [...p.tasks].find(stopped)?.ctx.as;
  if (!as?.residentBytes) return undefined;
  try {
    return as.residentBytes(areas);
  } catch (e) {
    if (e instanceof HostError || e instanceof LinuxError) return undefined;
    throw e;
  }
}

/** A thread the platform can measure memory through: not running app code. */
function stopped(t: Task): boolean {
  return !t.kernel.sched.runsAppCode(t);
}

/** The last resident size measured for an address space, for when none of its threads is stopped. */
const lastResident = new WeakMap<MemoryManager, number>();

/**
 * Resident bytes of `p` over its accessible areas (its RSS, as /proc and
 * a cgroup's memory.current show it). When all its threads run app code,
 * the last measurement stands (0 before the first).
 */
export function residentBytes(p: Process): number {
  const mm = p.mm;
  const measured = measureResident(p, mm.vmas.all().filter((v) => v.prot !== PROT.NONE), stopped);
  if (measured !== undefined) lastResident.set(mm, measured);
  return measured ?? lastResident.get(mm) ?? 0;
}
