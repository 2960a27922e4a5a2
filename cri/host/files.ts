/**
 * The libc calls the image store needs and node:fs lacks: mknod for FIFOs in
 * layers and lsetxattr for their extended attributes. The only koffi use in
 * cri/.
 */
import koffi from '../../sentry/platform/host/koffi';

const libc = koffi.load('libc.so.6');

const fn = {
  mknod: libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
  lsetxattr: libc.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
};

const S_IFIFO = 0o010000;

/** A failed libc call; `errno` is the host errno. */
export class HostCallError extends Error {
  override name = 'HostCallError';
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call}: errno ${errno}`);
  }
}

/** Creates a FIFO at `path` (which is not followed if it exists: mknod fails with EEXIST). */
export function mkfifo(path: string, mode: number): void {
  if (fn.mknod(path, S_IFIFO | (mode & 0o7777), 0n) < 0) throw new HostCallError('mknod', koffi.errno());
}

/** Sets extended attribute `name` on `path` itself, never on a symlink's target. */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  if (fn.lsetxattr(path, name, value, value.length, 0) < 0) throw new HostCallError('lsetxattr', koffi.errno());
}
