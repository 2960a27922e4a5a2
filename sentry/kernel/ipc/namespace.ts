/**
 * The kernel's IPC namespace: a kernel is one sandbox (a pod: its
 * containers share it, as a Kubernetes pod shares IPC), so its System V
 * shared memory segments live as long as the kernel. The limits are read
 * from the kernel's namespaced sysctls on every check, so a pod's
 * kernel.shmmax/shmall/shmmni (and writes to /proc/sys) apply.
 */
import type { Kernel } from '../kernel';
import { ShmLimits, ShmNamespace } from './shm';

const spaces = new WeakMap<Kernel, ShmNamespace>();

function limits(k: Kernel): ShmLimits {
  return {
    shmmax: BigInt(k.sysctls.get('kernel.shmmax')),
    shmall: BigInt(k.sysctls.get('kernel.shmall')),
    shmmni: Number(k.sysctls.get('kernel.shmmni')),
  };
}

/** The segments of `k`'s IPC namespace. */
export function shmNamespace(k: Kernel): ShmNamespace {
  let ns = spaces.get(k);
  if (ns === undefined) {
    ns = new ShmNamespace(() => limits(k), () => Math.floor(Date.now() / 1000));
    spaces.set(k, ns);
  }
  return ns;
}
