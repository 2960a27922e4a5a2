// The streaming server kubelet (or crictl) connects to with the URLs the CRI
// Exec, Attach and PortForward RPCs return: http://ADDR:PORT/{exec,attach,
// portforward}/TOKEN. Each URL works once, within a minute.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import { servePortForward } from './portforward';
import { CommandOptions, CommandStreams, openCommandStreams } from './remotecommand';
import type { TerminalSize } from './resize';
import { exitCodeStatus, internalErrorStatus, Status, successStatus } from './status';
import { TokenCache } from './tokens';
import { rejectUpgrade } from './http-response';

export type { TerminalSize } from './resize';
export { TooManyInFlightError } from './tokens';

/** What exec/attach hands the runtime. Streams the client did not ask for are undefined. */
export interface StreamIO {
  stdin?: Readable;
  stdout?: Writable;
  /** Undefined with a tty: the terminal merges stderr into stdout. */
  stderr?: Writable;
  tty: boolean;
  /** Terminal sizes as the client reports them; ends with the client's resize stream (at once without a tty). */
  resize: AsyncIterable<TerminalSize>;
  /** Aborted when the client disconnects; the runtime should stop the command or detach. */
  signal: AbortSignal;
}

export interface StreamRuntime {
  /** Runs cmd; resolves with its exit code. A rejection is reported to the client as an internal error. */
  exec(containerId: string, cmd: string[], io: StreamIO): Promise<{ exitCode: number }>;
  attach(containerId: string, io: StreamIO): Promise<void>;
  /** Joins stream to the sandbox's port; resolves when done, rejects with a message for the client. */
  portForward(podSandboxId: string, port: number, stream: Duplex): Promise<void>;
}

export interface ExecRequest { container_id: string; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }
export interface AttachRequest { container_id: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }
export interface PortForwardRequest { pod_sandbox_id: string; port: number[] }

/** A CRI request the streaming server refuses; the gRPC layer maps it to INVALID_ARGUMENT. */
export class InvalidStreamRequestError extends Error {}

type Parked =
  | { kind: 'exec'; req: ExecRequest }
  | { kind: 'attach'; req: AttachRequest }
  | { kind: 'portforward'; req: PortForwardRequest };

export interface StreamingServerOptions {
  address?: string;
  port?: number;
  runtime: StreamRuntime;
  /** Seconds-long waits in tests: how long SPDY clients get to open their streams. */
  streamCreationTimeoutMs?: number;
}

const PATH = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)$/;

export class StreamingServer {
  private readonly server = http.createServer();
  private readonly tokens = new TokenCache<Parked>();
  private readonly sockets = new Set<Duplex>();
  private baseUrl: string | undefined;

  constructor(private readonly opts: StreamingServerOptions) {
    this.server.on('request', (req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (_err, socket: Duplex) => rejectUpgrade(socket, 400, 'malformed HTTP request'));
  }

  async start(): Promise<void> {
    const host = this.opts.address ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** Stops listening and cuts every open stream. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  getExec(req: ExecRequest): { url: string } {
    validateCommand(req.container_id, req);
    if (req.cmd.length === 0) throw new InvalidStreamRequestError('cmd must not be empty');
    return this.park({ kind: 'exec', req });
  }

  getAttach(req: AttachRequest): { url: string } {
    validateCommand(req.container_id, req);
    return this.park({ kind: 'attach', req });
  }

  getPortForward(req: PortForwardRequest): { url: string } {
    if (!req.pod_sandbox_id) throw new InvalidStreamRequestError('missing required pod_sandbox_id');
    for (const p of req.port) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw new InvalidStreamRequestError(`invalid port ${p}`);
    }
    return this.park({ kind: 'portforward', req });
  }

  private park(p: Parked): { url: string } {
    if (!this.baseUrl) throw new Error('streaming server is not started');
    return { url: `${this.baseUrl}/${p.kind}/${this.tokens.insert(p)}` };
  }

  /** Plain HTTP: every endpoint needs an upgrade; the token is spent either way, as in kubelet. */
  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const parked = this.lookup(req);
    const status = parked ? 400 : 404;
    const body = parked ? 'streaming requests need an upgrade to SPDY/3.1 or WebSocket\n' : '404 page not found\n';
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  private lookup(req: http.IncomingMessage): Parked | undefined {
    if (req.method !== 'GET' && req.method !== 'POST') return undefined;
    const m = PATH.exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (!m) return undefined;
    const parked = this.tokens.consume(m[2]);
    return parked?.kind === m[1] ? parked : undefined;
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const parked = this.lookup(req);
    if (!parked) {
      rejectUpgrade(socket, 404, '404 page not found');
      return;
    }
    const runtime = this.opts.runtime;
    switch (parked.kind) {
      case 'exec': {
        const { container_id, cmd } = parked.req;
        void this.serveCommand(req, socket, head, parked.req, async (io) => {
          const { exitCode } = await runtime.exec(container_id, cmd, io);
          return exitCode === 0 ? successStatus() : exitCodeStatus(exitCode);
        }, 'error executing command in container');
        return;
      }
      case 'attach': {
        const { container_id } = parked.req;
        void this.serveCommand(req, socket, head, parked.req, async (io) => {
          await runtime.attach(container_id, io);
          return successStatus();
        }, 'error attaching to container');
        return;
      }
      case 'portforward': {
        const { pod_sandbox_id, port } = parked.req;
        servePortForward(req, socket, head, { ports: port, forward: (p, stream) => runtime.portForward(pod_sandbox_id, p, stream) });
        return;
      }
    }
  }

  private async serveCommand(
    req: http.IncomingMessage, socket: Duplex, head: Buffer, opts: CommandOptions,
    run: (io: StreamIO) => Promise<Status>, failure: string,
  ): Promise<void> {
    const streams: CommandStreams | undefined = await openCommandStreams(req, socket, head, opts, this.opts.streamCreationTimeoutMs);
    if (!streams) return;
    let status: Status;
    try {
      status = await run({
        stdin: streams.stdin, stdout: streams.stdout, stderr: streams.stderr,
        tty: opts.tty, resize: streams.resize, signal: streams.signal,
      });
    } catch (err) {
      status = internalErrorStatus(`${failure}: ${err instanceof Error ? err.message : String(err)}`);
    }
    await streams.finish(status);
  }
}

/** kubelet's validateExecRequest/validateAttachRequest. */
function validateCommand(containerId: string, o: CommandOptions): void {
  if (!containerId) throw new InvalidStreamRequestError('missing required container_id');
  if (o.tty && o.stderr) throw new InvalidStreamRequestError('tty and stderr cannot both be true');
  if (!o.stdin && !o.stdout && !o.stderr) throw new InvalidStreamRequestError('one of stdin, stdout, or stderr must be set');
}
