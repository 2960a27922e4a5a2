/** Runs a GoferServer on a connected stream socket until the peer closes it. */
import net from 'node:net';
import { FrameParser } from './p9/codec';
import { GoferServer } from './server';

export function serve(fd: number, server: GoferServer, onClose: () => void): void {
  const sock = new net.Socket({ fd, readable: true, writable: true });
  const parser = new FrameParser(server.msize);
  sock.on('data', (chunk: Buffer) => {
    let frames;
    try {
      frames = parser.push(chunk);
    } catch {
      // A frame size we cannot honour leaves the stream unsynchronised: drop the connection.
      sock.destroy();
      return;
    }
    for (const f of frames) {
      sock.write(server.handle(f));
      parser.maxSize = server.msize;
    }
  });
  sock.on('error', () => sock.destroy());
  sock.on('close', () => {
    server.reset();
    onClose();
  });
}
