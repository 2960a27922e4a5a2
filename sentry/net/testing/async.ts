/** Promise helpers for driving endpoints on the real clock (interop tests). */
import { isLinuxError } from '../../errors/linuxerr';
import { POLL } from '../../abi/linux/poll';
import type { WaitQueue } from '../../kernel/wait';

interface Pollable {
  readonly waitQueue: WaitQueue;
  readiness(): number;
}

/** Resolves once `ep.readiness()` has a bit of `mask` (checked after each notification, outside the stack's call). */
export function when(ep: Pollable, mask: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (ep.readiness() & mask) {
        ep.waitQueue.remove(waker);
        resolve();
      }
    };
    const waker = () => setImmediate(check);
    ep.waitQueue.add(waker);
    check();
  });
}

/** Retries `fn` while it throws EAGAIN, waiting for `mask` in between. */
export async function retry<T>(ep: Pollable, mask: number, fn: () => T): Promise<T> {
  for (;;) {
    try {
      return fn();
    } catch (e) {
      if (!isLinuxError(e, 'EAGAIN')) throw e;
    }
    await when(ep, mask | POLL.ERR | POLL.HUP);
  }
}
