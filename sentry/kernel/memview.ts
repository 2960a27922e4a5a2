/**
 * The memory a process is shown (sysinfo(2), /proc/meminfo): the host's
 * RAM, or a pod container's memory limit when it has one, as gVisor shows
 * a container its limit. A program that sizes itself by the machine's
 * memory (a JVM that ignores cgroups, a cache) then fits in what it may
 * use instead of being OOM-killed.
 */
import type { Kernel } from './kernel';
import type { Process } from './task';
import { chargedBytes } from './cgroup';

export interface MemoryView {
  totalBytes: number;
  freeBytes: number;
}

/**
 * Total and free memory for `p` on a host with `hostBytes` of RAM.
 * Without a limit, free is an estimate: half the RAM.
 */
export function memoryView(k: Kernel, p: Process | undefined, hostBytes: number): MemoryView {
  const c = p && k.containerCgroup?.(p);
  if (!c || c.memoryLimitBytes <= 0) return { totalBytes: hostBytes, freeBytes: Math.floor(hostBytes / 2) };
  const totalBytes = Math.min(c.memoryLimitBytes, hostBytes);
  return { totalBytes, freeBytes: Math.max(0, totalBytes - chargedBytes(c.memoryUsage())) };
}
