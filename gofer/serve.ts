/** Runs a GoferServer on a connected stream socket until the peer closes it. */
import net from 'node:net';
import { Errno } from '../sentry/abi/linux/errno';
import { errnoOf } from './errno';
import { sendWithFd } from './host/libc';
import { encode, FrameParser } from './p9/codec';
import { MsgType } from './p9/types';
import { GoferServer } from './server';

/** `onWork` runs for every batch of requests (the Gofer's idle collection counts from the last). */
export function serve(fd: number, server: GoferServer, onClose: () => void, onWork: () => void = () => undefined): void {
  const sock = new net.Socket({ fd, readable: true, writable: true });
  const parser = new FrameParser(server.msize);
  sock.on('data', (chunk: Buffer) => {
    onWork();
    let frames;
    try {
      frames = parser.push(chunk);
    } catch {
      // A frame size we cannot honour leaves the stream unsynchronised: drop the connection.
      sock.destroy();
      return;
    }
    for (const f of frames) {
      const reply = server.handle(f);
      if (reply.fd === undefined) sock.write(reply.frame);
      else sendWithDescriptor(sock, fd, f.tag, reply.frame, reply.fd);
      parser.maxSize = server.msize;
    }
  });
  sock.on('error', () => sock.destroy());
  sock.on('close', () => {
    server.reset();
    onClose();
  });
}

/**
 * Sends `frame` with `hostFd` attached by sendmsg on the socket's fd,
 * outside Node's write queue. That is in order only while the queue is
 * empty, which it is for a client that waits for each reply before its
 * next request; otherwise, or if sendmsg fails, the client gets Rlerror
 * (EAGAIN when it may simply ask again).
 */
function sendWithDescriptor(sock: net.Socket, sockFd: number, tag: number, frame: Buffer, hostFd: number): void {
  let ecode: number = Errno.EAGAIN;
  if (sock.writableLength === 0) {
    try {
      const sent = sendWithFd(sockFd, frame, hostFd);
      if (sent < frame.length) sock.write(frame.subarray(sent));
      return;
    } catch (e) {
      ecode = errnoOf(e) ?? Errno.EIO;
    }
  }
  sock.write(encode(tag, { type: MsgType.Rlerror, ecode }));
}
