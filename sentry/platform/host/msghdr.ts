/**
 * A struct msghdr for sendmsg/recvmsg with one iovec and a control buffer,
 * all in the one Buffer the call takes as its argument. The kernel reads
 * the iovec, the control buffer and the data through raw addresses, which
 * keep no Buffer alive, and an optimized function's locals die at their
 * last use: separate Buffers could be collected, and their memory reused,
 * before the call read them (the Gofer's sendmsg once sent freed memory
 * that way). Used by the Sentry's control socket (unixsock.ts) and by the
 * Gofer, so koffi itself rather than libc.ts's bindings.
 */
import koffi from './koffi';
import { CMSGHDR, cmsgLen, IOVEC_SIZE, MSGHDR, SCM_RIGHTS, SOL_SOCKET } from '../../abi/linux/scm';

export interface Msghdr {
  msg: Buffer;
  iov: Buffer;
  control: Buffer;
}

/**
 * A msghdr, its iovec and `controlBytes` of control buffer. With `data`,
 * a copy of it follows in the same Buffer and the iovec points there (for
 * small messages); without, the caller points the iovec.
 */
export function msghdr(controlBytes: number, data?: Buffer): Msghdr {
  const dataAt = MSGHDR.SIZE + IOVEC_SIZE + controlBytes;
  const all = Buffer.alloc(dataAt + (data?.length ?? 0));
  const base = koffi.address(all) as bigint;
  all.writeBigUInt64LE(base + BigInt(MSGHDR.SIZE), MSGHDR.IOV);
  all.writeBigUInt64LE(1n, MSGHDR.IOVLEN);
  if (controlBytes > 0) {
    all.writeBigUInt64LE(base + BigInt(MSGHDR.SIZE + IOVEC_SIZE), MSGHDR.CONTROL);
    all.writeBigUInt64LE(BigInt(controlBytes), MSGHDR.CONTROLLEN);
  }
  const iov = all.subarray(MSGHDR.SIZE, MSGHDR.SIZE + IOVEC_SIZE);
  if (data) {
    data.copy(all, dataAt);
    iov.writeBigUInt64LE(base + BigInt(dataAt), 0);
    iov.writeBigUInt64LE(BigInt(data.length), 8);
  }
  return { msg: all, iov, control: all.subarray(MSGHDR.SIZE + IOVEC_SIZE, dataAt) };
}

/** Writes one SCM_RIGHTS message carrying `fds` at the start of `control` (cmsgSpace(4 * fds.length) bytes). */
export function putScmRights(control: Buffer, fds: readonly number[]): void {
  control.writeBigUInt64LE(BigInt(cmsgLen(4 * fds.length)), CMSGHDR.LEN);
  control.writeInt32LE(SOL_SOCKET, CMSGHDR.LEVEL);
  control.writeInt32LE(SCM_RIGHTS, CMSGHDR.TYPE);
  fds.forEach((f, i) => control.writeInt32LE(f, CMSGHDR.DATA + 4 * i));
}
