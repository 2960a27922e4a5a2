/**
 * The kernel's IPC namespace: a kernel is one sandbox (a pod: its
 * containers share it, as a Kubernetes pod shares IPC), so its System V
 * shared memory segments, semaphore sets and message queues live as long
 * as the kernel. The limits are read from the kernel's namespaced sysctls
 * on every check, so a pod's kernel.shm*, sem and msg* (and writes to
 * /proc/sys) apply.
 */
import type { Kernel } from '../kernel';
import { MqNamespace } from './mqueue';
import { MsgNamespace } from './msg';
import { SemNamespace } from './sem';
import { ShmNamespace } from './shm';

const seconds = (): number => Math.floor(Date.now() / 1000);

/** One `T` per kernel, made at its first use. */
function perKernel<T>(make: (k: Kernel) => T): (k: Kernel) => T {
  const spaces = new WeakMap<Kernel, T>();
  return (k) => {
    let ns = spaces.get(k);
    if (ns === undefined) spaces.set(k, (ns = make(k)));
    return ns;
  };
}

const int = (k: Kernel, name: string): number => Number(k.sysctls.get(name));

/** The shared memory segments of `k`'s IPC namespace (kernel.shmmax, shmall, shmmni). */
export const shmNamespace = perKernel(
  (k) => new ShmNamespace(() => ({ shmmax: BigInt(k.sysctls.get('kernel.shmmax')), shmall: BigInt(k.sysctls.get('kernel.shmall')), shmmni: int(k, 'kernel.shmmni') }), seconds),
);

/** The semaphore sets of `k`'s IPC namespace (kernel.sem's four values). */
export const semNamespace = perKernel(
  (k) =>
    new SemNamespace(() => {
      const [semmsl, semmns, semopm, semmni] = k.sysctls.get('kernel.sem').split(/\s+/).map(Number);
      return { semmsl, semmns, semopm, semmni };
    }, seconds),
);

/** The message queues of `k`'s IPC namespace (kernel.msgmax, msgmnb, msgmni). */
export const msgNamespace = perKernel(
  (k) => new MsgNamespace(() => ({ msgmax: int(k, 'kernel.msgmax'), msgmnb: int(k, 'kernel.msgmnb'), msgmni: int(k, 'kernel.msgmni') }), seconds),
);

/** The POSIX message queues of `k`'s IPC namespace (fs.mqueue.*). */
export const mqNamespace = perKernel(
  (k) =>
    new MqNamespace(() => ({
      msgMax: int(k, 'fs.mqueue.msg_max'),
      msgsizeMax: int(k, 'fs.mqueue.msgsize_max'),
      queuesMax: int(k, 'fs.mqueue.queues_max'),
      msgDefault: int(k, 'fs.mqueue.msg_default'),
      msgsizeDefault: int(k, 'fs.mqueue.msgsize_default'),
    })),
);
