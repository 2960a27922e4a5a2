/**
 * The CRI server's end of a pod Sentry's control socket. Requests go out
 * with sendmsg (descriptors attached with SCM_RIGHTS, which Node's net
 * module cannot do); replies and exit events come back through a
 * net.Socket on the same fd, so waiting for them never blocks the server.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { connectUnix, peerPid, sendWithFds } from '../../sentry/platform/host/unixsock';
import {
  Decoder, encode, ExitEvent, FdName, Reply, ReplyBody, Request, ServerMessage,
} from '../../sentry/control/protocol';

/** A request the Sentry refused; `code` is set for programs that could not start (126/127). */
export class SentryRequestError extends Error {
  constructor(message: string, readonly code?: number) {
    super(message);
    this.name = 'SentryRequestError';
  }
}

export interface PassedFd {
  name: FdName;
  fd: number;
}

export class SentryClient extends EventEmitter<{ exit: [ExitEvent]; close: [] }> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ReplyBody) => void; reject: (e: Error) => void }>();
  private readonly socket: net.Socket;
  private closed = false;

  private constructor(private readonly fd: number) {
    super();
    this.socket = new net.Socket({ fd, readable: true, writable: false });
    const decoder = new Decoder();
    this.socket.on('data', (chunk: Buffer) => {
      let msgs: unknown[];
      try {
        msgs = decoder.push(chunk);
      } catch {
        this.socket.destroy();
        return;
      }
      for (const m of msgs) this.receive(m as ServerMessage);
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => this.onClose());
  }

  /** Connects to a Sentry's control socket. */
  static connect(path: string): SentryClient {
    return new SentryClient(connectUnix(path));
  }

  private receive(m: ServerMessage): void {
    if ('event' in m) {
      this.emit('exit', m);
      return;
    }
    const p = this.pending.get(m.re);
    if (!p) return;
    this.pending.delete(m.re);
    const { re: _re, ...body } = m as Reply;
    p.resolve(body);
  }

  private onClose(): void {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new Error('the pod sentry closed its control connection'));
    this.pending.clear();
    this.emit('close');
  }

  /**
   * Sends a request with descriptors (which stay open here: the caller
   * closes its copies) and resolves with the reply; a refusal rejects with
   * SentryRequestError.
   */
  async request(req: Request, fds: PassedFd[] = [], timeoutMs = 30_000): Promise<ReplyBody & { ok: true }> {
    if (this.closed) throw new Error('the pod sentry is not connected');
    const id = this.nextId++;
    const reply = new Promise<ReplyBody>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      setTimeout(() => {
        if (this.pending.delete(id)) reject(new Error(`the pod sentry did not answer ${req.op} within ${timeoutMs} ms`));
      }, timeoutMs).unref();
    });
    sendWithFds(this.fd, encode({ ...req, id, fds: fds.map((f) => f.name) }), fds.map((f) => f.fd));
    const r = await reply;
    if (!r.ok) throw new SentryRequestError(r.error, r.code);
    return r;
  }

  /** The host pid of the Sentry process (the one that listens). */
  get sentryPid(): number {
    return peerPid(this.fd);
  }

  get connected(): boolean {
    return !this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
