/**
 * One operation at a time per key (a pod's id): concurrent Stop/Remove
 * calls for one pod run one after the other, so the later ones find the
 * work done instead of racing it (CNI DEL of a deleted interface, updates
 * of a record already removed).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every earlier call for `key` has finished (whatever their outcome). */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Keys with an operation running or waiting (for tests). */
  get size(): number {
    return this.tails.size;
  }
}
