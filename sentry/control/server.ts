/**
 * The pod Sentry's end of the control channel. Runs inside the scheduler
 * loop: the listening socket and every connection are host fds with
 * waiters (kernel/hostwait.ts), so the loop polls them when idle and
 * between app stops, and `service()` handles whatever arrived. Several
 * clients may be connected (a CRI server restarted while the old
 * connection is still draining); events go to all of them.
 */
import { hostWaiters, HostWaiter } from '../kernel/hostwait';
import { WaitQueue } from '../kernel/wait';
import { closeFd } from '../platform/host/fdio';
import { acceptUnix, receiveWithFds, sendWithFds } from '../platform/host/unixsock';
import { Decoder, encode, FdName, Reply, ReplyBody, RequestMessage, ServerMessage } from './protocol';

const POLLIN = 0x1;

/**
 * A reply that comes later (a connection being opened in the sandbox):
 * `start` gets the function to call, once, from within the scheduler loop.
 * Other requests on the connection are served meanwhile.
 */
export class LaterReply {
  constructor(readonly start: (answer: (r: ReplyBody) => void) => void) {}
}

/**
 * Executes one request; `fds` maps the names the request gave to received
 * host fds (the handler owns them, also when it answers later or throws
 * after taking them).
 */
export type RequestHandler = (req: RequestMessage, fds: Map<FdName, number>) => ReplyBody | LaterReply;

interface Connection {
  fd: number;
  decoder: Decoder;
  /** Descriptors received but not yet claimed by a whole message. */
  fds: number[];
  waiter: HostWaiter;
}

export class ControlServer {
  private readonly conns = new Set<Connection>();
  private readonly listenWaiter: HostWaiter;

  constructor(
    private readonly listenFd: number,
    private readonly handle: RequestHandler,
    private readonly log: (line: string) => void,
  ) {
    this.listenWaiter = this.watch(listenFd, () => this.acceptAll());
  }

  /** Registers `fd` with the scheduler's host poll; `onReady` runs in the loop when it is readable. */
  private watch(fd: number, onReady: () => void): HostWaiter {
    const queue = new WaitQueue();
    queue.add(onReady);
    const w = { fd, events: POLLIN, queue };
    hostWaiters.add(w);
    return w;
  }

  private acceptAll(): void {
    for (let fd = acceptUnix(this.listenFd); fd !== undefined; fd = acceptUnix(this.listenFd)) {
      const conn: Connection = { fd, decoder: new Decoder(), fds: [], waiter: this.watch(fd, () => this.readFrom(conn)) };
      this.conns.add(conn);
    }
  }

  private readFrom(c: Connection): void {
    for (;;) {
      let r;
      try {
        r = receiveWithFds(c.fd);
      } catch (e) {
        this.log(`control: receive failed: ${(e as Error).message}`);
        return this.drop(c);
      }
      if (r.kind === 'again') return;
      if (r.kind === 'eof') return this.drop(c);
      c.fds.push(...r.fds);
      let messages: unknown[];
      try {
        messages = c.decoder.push(r.bytes);
      } catch (e) {
        this.log(`control: bad message: ${(e as Error).message}`);
        return this.drop(c);
      }
      for (const m of messages) this.dispatch(c, m);
    }
  }

  private dispatch(c: Connection, m: unknown): void {
    const req = m as RequestMessage;
    const names = Array.isArray(req.fds) ? req.fds : [];
    const fds = new Map<FdName, number>();
    for (const name of names) {
      const fd = c.fds.shift();
      if (fd !== undefined) fds.set(name, fd);
    }
    let reply: ReplyBody | LaterReply;
    try {
      if (typeof req.id !== 'number' || typeof req.op !== 'string') throw new Error('malformed request');
      if (fds.size !== names.length) throw new Error(`request names ${names.length} descriptors, ${fds.size} arrived`);
      reply = this.handle(req, fds);
    } catch (e) {
      for (const fd of fds.values()) closeFd(fd);
      reply = { ok: false, error: (e as Error).message };
    }
    const answer = (r: ReplyBody): void => {
      // The client may have gone while the answer was pending.
      if (this.conns.has(c)) this.send(c, { ...r, re: req.id } satisfies Reply);
    };
    if (reply instanceof LaterReply) reply.start(answer);
    else answer(reply);
  }

  /** Sends an event to every client. */
  broadcast(msg: ServerMessage): void {
    for (const c of this.conns) this.send(c, msg);
  }

  private send(c: Connection, msg: ServerMessage): void {
    try {
      sendWithFds(c.fd, encode(msg), [], 1000);
    } catch (e) {
      this.log(`control: send failed: ${(e as Error).message}`);
      this.drop(c);
    }
  }

  private drop(c: Connection): void {
    if (!this.conns.delete(c)) return;
    hostWaiters.delete(c.waiter);
    for (const fd of c.fds) closeFd(fd);
    closeFd(c.fd);
  }

  close(): void {
    for (const c of [...this.conns]) this.drop(c);
    hostWaiters.delete(this.listenWaiter);
    closeFd(this.listenFd);
  }
}
