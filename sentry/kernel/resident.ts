/**
 * Measuring a process's resident memory: mincore injected into its stub
 * (AddressSpace.residentBytes), which needs one of its threads stopped.
 */
import { HostError } from '../platform/host/libc';
import { LinuxError } from '../errors/linuxerr';
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
