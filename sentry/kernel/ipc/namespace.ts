/**
 * The kernel's IPC namespace: a kernel is one sandbox (a pod: its
 * containers share it, as a Kubernetes pod shares IPC), so its System V
 * shared memory segments and semaphore sets live as long as the kernel.
 * The limits are read from the kernel's namespaced sysctls on every check,
 * so a pod's kernel.shmmax/shmall/shmmni/sem (and writes to /proc/sys)
 * apply.
 */
import type { Kernel } from '../kernel';
import { SemLimits, SemNamespace } from './sem';
import { ShmLimits, ShmNamespace } from './shm';

const spaces = new WeakMap<Kernel, ShmNamespace>();
const semSpaces = new WeakMap<Kernel, SemNamespace>();
const seconds = (): number => Math.floor(Date.now() / 1000);

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
    ns = new ShmNamespace(() => limits(k), seconds);
    spaces.set(k, ns);
  }
  return ns;
}

/** kernel.sem's four values. */
function semLimits(k: Kernel): SemLimits {
  const [semmsl, semmns, semopm, semmni] = k.sysctls.get('kernel.sem').split(/\s+/).map(Number);
  return { semmsl, semmns, semopm, semmni };
}

/** The semaphore sets of `k`'s IPC namespace. */
export function semNamespace(k: Kernel): SemNamespace {
  let ns = semSpaces.get(k);
  if (ns === undefined) {
    ns = new SemNamespace(() => semLimits(k), seconds);
    semSpaces.set(k, ns);
  }
  return ns;
}
