/**
 * The Gofer's connection loop: every tree's socket served from one blocking
 * poll(2) loop, until the peer has closed them all.
 *
 * Not Node's event loop with net.Socket: the Gofer answers one synchronous
 * client per socket (the Sentry waits for each reply before its next
 * request), so streams only added cost: node:net took ~7 ms of every
 * sandbox start to load, and its 'data'/write path as much CPU again per
 * request as the handler itself. Here a request costs a poll, a read and a
 * write (or a sendmsg with a descriptor).
 *
 * The idle collections (sentry/kernel/idlegc.ts) run from the poll timeout,
 * as the Sentry's scheduler runs them before it sleeps.
 */
import fs from 'node:fs';
import { Errno } from '../sentry/abi/linux/errno';
import { POLL } from '../sentry/abi/linux/poll';
import type { IdleCollector } from '../sentry/kernel/idlegc';
import { errnoOf } from './errno';
import { poll, sendWithFd } from './host/libc';
import { encode, FrameParser } from './p9/codec';
import { MsgType } from './p9/types';
import { GoferServer } from './server';

/** One tree's socket and its server. */
export interface Connection {
  fd: number;
  server: GoferServer;
}

/** Bytes read per read(2): requests are small, Twrite frames up to msize arrive in several. */
const READ_SIZE = 64 * 1024;
/** What IdleCollector is asked to shorten when nothing else bounds the wait. */
const FOREVER_NS = 1n << 62n;

interface Open extends Connection {
  parser: FrameParser;
}

/** Serves `conns` until every peer has closed its socket; `idle` runs the collections between bursts. */
export function serveAll(conns: readonly Connection[], idle: IdleCollector): void {
  let open: Open[] = conns.map((c) => ({ ...c, parser: new FrameParser(c.server.msize) }));
  const chunk = Buffer.allocUnsafe(READ_SIZE);
  while (open.length > 0) {
    const waitNs = idle.beforeSleep(process.hrtime.bigint(), FOREVER_NS);
    if (waitNs === 0n) continue;
    const ready = poll(open.map((c) => c.fd), POLL.IN, waitNs >= FOREVER_NS ? -1 : Math.ceil(Number(waitNs) / 1e6));
    if (!ready.some((r) => r !== 0)) continue;
    idle.noteWork();
    open = open.filter((c, i) => ready[i] === 0 || serveReady(c, chunk));
  }
}

/** Reads what `c`'s socket has and answers every complete frame; false once the connection is over. */
function serveReady(c: Open, chunk: Buffer): boolean {
  let n: number;
  try {
    n = fs.readSync(c.fd, chunk, 0, chunk.length, null);
  } catch (e) {
    if (errnoOf(e) === Errno.EINTR || errnoOf(e) === Errno.EAGAIN) return true;
    n = 0;
  }
  let frames;
  try {
    if (n === 0) throw new Error('closed');
    // A copy: the parser keeps a partial frame's bytes across reads.
    frames = c.parser.push(Buffer.from(chunk.subarray(0, n)));
    for (const f of frames) {
      const reply = c.server.handle(f);
      if (reply.fd === undefined) writeAll(c.fd, reply.frame);
      else sendWithDescriptor(c.fd, f.tag, reply.frame, reply.fd);
      c.parser.maxSize = c.server.msize;
    }
    return true;
  } catch {
    // End of file, a broken socket, or a frame size we cannot honour (the stream is unsynchronised): drop the connection.
    closeQuietly(c.fd);
    c.server.reset();
    return false;
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* already gone (POLLNVAL) */
  }
}

/** Writes all of `b` to the blocking socket `fd` (a reply larger than the socket buffer goes in pieces). */
function writeAll(fd: number, b: Buffer): void {
  for (let at = 0; at < b.length; ) {
    try {
      at += fs.writeSync(fd, b, at);
    } catch (e) {
      if (errnoOf(e) !== Errno.EINTR) throw e;
    }
  }
}

/**
 * Sends `frame` with `hostFd` attached by sendmsg. If the socket buffer
 * has no room (sendmsg does not wait), the client gets Rlerror(EAGAIN) and
 * may simply ask again; another failure is Rlerror with its errno.
 */
function sendWithDescriptor(sockFd: number, tag: number, frame: Buffer, hostFd: number): void {
  let sent: number;
  try {
    sent = sendWithFd(sockFd, frame, hostFd);
  } catch (e) {
    writeAll(sockFd, encode(tag, { type: MsgType.Rlerror, ecode: errnoOf(e) ?? Errno.EIO }));
    return;
  }
  writeAll(sockFd, frame.subarray(sent));
}
