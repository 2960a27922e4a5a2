/**
 * shutdown(2) on the Sentry's own host sockets: a half-close that the
 * peer reads as EOF while the other direction keeps flowing (the pod's
 * port-forward connections end each direction on its own). The Sentry's
 * seccomp filter allows it: it opens nothing.
 */
import koffi from 'koffi';
import { check } from './libc';

const libc = koffi.load('libc.so.6');
const shutdown = libc.func('int shutdown(int fd, int how)');

/** shutdown(fd, how) with `how` one of SHUT.RD/WR/RDWR (abi/linux/socket.ts); throws HostError. */
export function hostShutdown(fd: number, how: number): void {
  check('shutdown', shutdown(fd, how) as number);
}
