/** Reading host socket fds (a process's output handed back by the Sentry) without blocking the server. */
import net from 'node:net';

/** Everything until end of file on `fd`, which this takes over and closes. */
export function readAll(fd: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const s = new net.Socket({ fd, readable: true, writable: false });
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => undefined);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}
