// exec and attach over SPDY or WebSocket (the remotecommand protocols of
// k8s.io/client-go tools/remotecommand and kubelet's cri/streaming): open the
// client's streams, run the command through the runtime, then report the
// outcome on the error stream and hang up.
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { rejectUpgrade } from './http-response';
import { ResizeQueue, readResizeEvents } from './resize';
import { SpdyConnection, SpdyStream } from './spdy/connection';
import { RstStatus } from './spdy/frames';
import { upgradeToSpdy } from './spdy/upgrade';
import { Status } from './status';
import { ChannelConnection } from './websocket/channels';
import { acceptWebSocket, offeredProtocols } from './websocket/connection';

export const STREAM_PROTOCOL_V1 = 'channel.k8s.io';
export const STREAM_PROTOCOL_V2 = 'v2.channel.k8s.io';
export const STREAM_PROTOCOL_V3 = 'v3.channel.k8s.io';
export const STREAM_PROTOCOL_V4 = 'v4.channel.k8s.io';
export const STREAM_PROTOCOL_V5 = 'v5.channel.k8s.io';
const BASE64_V1 = 'base64.channel.k8s.io';
const BASE64_V4 = 'v4.base64.channel.k8s.io';

/** SPDY versions, best first (kubelet's SupportedStreamingProtocols). */
export const SPDY_COMMAND_PROTOCOLS = [STREAM_PROTOCOL_V4, STREAM_PROTOCOL_V3, STREAM_PROTOCOL_V2, STREAM_PROTOCOL_V1];
/** WebSocket subprotocols; v5 is what client-go's WebSocket executor asks for. */
export const WEBSOCKET_COMMAND_PROTOCOLS = [STREAM_PROTOCOL_V5, STREAM_PROTOCOL_V4, BASE64_V4, STREAM_PROTOCOL_V1, BASE64_V1];

/** Channel numbers of the WebSocket protocols, and SPDY streamType header values. */
const enum Channel { Stdin = 0, Stdout = 1, Stderr = 2, Error = 3, Resize = 4 }

/** kubelet's DefaultStreamCreationTimeout. */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;

export interface CommandOptions { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }

/** The client's streams, ready for a runtime. finish() reports the outcome and hangs up. */
export interface CommandStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize: ResizeQueue;
  /** Aborted when the client goes away before the command ends. */
  signal: AbortSignal;
  finish(status: Status): Promise<void>;
}

/** v4 and later send the Status as JSON; older versions send only a failure's message. */
function encodeStatus(status: Status, json: boolean): Buffer | undefined {
  if (json) return Buffer.from(JSON.stringify(status), 'utf8');
  return status.status === 'Success' ? undefined : Buffer.from(status.message ?? 'unknown error', 'utf8');
}

/** A stream handed to a runtime must never crash the server by emitting an unheard 'error'. */
function quiet<T extends Readable | Writable | Duplex>(s: T): T {
  s.on('error', () => undefined);
  return s;
}

async function endWritable(w: Writable | undefined): Promise<void> {
  if (!w || w.destroyed) return;
  if (!w.writableEnded) w.end();
  await finished(w, { readable: false }).catch(() => undefined);
}

export function openCommandStreams(
  req: IncomingMessage, socket: Duplex, head: Buffer, opts: CommandOptions, creationTimeoutMs = STREAM_CREATION_TIMEOUT_MS,
): Promise<CommandStreams | undefined> {
  if ((req.headers.upgrade ?? '').toLowerCase() === 'websocket') return Promise.resolve(openWebSocket(req, socket, head, opts));
  return openSpdy(req, socket, head, opts, creationTimeoutMs);
}

function openWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, opts: CommandOptions): CommandStreams | undefined {
  const offered = offeredProtocols(req);
  const protocol = offered.length === 0 ? '' : offered.find((p) => WEBSOCKET_COMMAND_PROTOCOLS.includes(p));
  if (protocol === undefined) {
    rejectUpgrade(socket, 400, `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${WEBSOCKET_COMMAND_PROTOCOLS.join(' ')}]`);
    return undefined;
  }
  const ws = acceptWebSocket(req, socket, head, protocol);
  if (!ws) return undefined;
  const channels = new ChannelConnection(ws, { base64: protocol.includes('base64'), streamClose: protocol === STREAM_PROTOCOL_V5 });
  const abort = new AbortController();
  ws.on('close', () => abort.abort());
  const resize = new ResizeQueue();
  if (opts.tty) readResizeEvents(channels.reader(Channel.Resize), resize);
  else resize.end();
  const stdout = opts.stdout ? quiet(channels.writer(Channel.Stdout)) : undefined;
  const stderr = opts.stderr && !opts.tty ? quiet(channels.writer(Channel.Stderr)) : undefined;
  // Like wsstream, open with an empty message on the first channel we write to.
  const first = opts.stdout ? Channel.Stdout : opts.stderr ? Channel.Stderr : Channel.Error;
  channels.write(first, Buffer.alloc(0)).catch(() => undefined);
  const json = [STREAM_PROTOCOL_V5, STREAM_PROTOCOL_V4, BASE64_V4].includes(protocol);
  return {
    stdin: opts.stdin ? quiet(channels.reader(Channel.Stdin)) : undefined,
    stdout, stderr, resize, signal: abort.signal,
    async finish(status) {
      await Promise.all([endWritable(stdout), endWritable(stderr)]);
      const msg = encodeStatus(status, json);
      if (msg && !ws.isClosed) await channels.write(Channel.Error, msg).catch(() => undefined);
      ws.close();
    },
  };
}

async function openSpdy(
  req: IncomingMessage, socket: Duplex, head: Buffer, opts: CommandOptions, creationTimeoutMs: number,
): Promise<CommandStreams | undefined> {
  const up = upgradeToSpdy(req, socket, head, SPDY_COMMAND_PROTOCOLS);
  if (!up) return undefined;
  const { conn, protocol } = up;
  const resizable = protocol === STREAM_PROTOCOL_V4 || protocol === STREAM_PROTOCOL_V3;
  const stderrWanted = opts.stderr && !opts.tty;
  const wanted = new Set(['error']);
  if (opts.stdin) wanted.add('stdin');
  if (opts.stdout) wanted.add('stdout');
  if (stderrWanted) wanted.add('stderr');
  if (opts.tty && resizable) wanted.add('resize');
  const streams = await collectStreams(conn, wanted, creationTimeoutMs);
  if (!streams) {
    conn.destroy();
    return undefined;
  }
  // Streams beyond the request's options would wait forever for a reply: refuse them.
  conn.on('stream', (s) => s.reset(RstStatus.RefusedStream));
  const abort = new AbortController();
  conn.on('close', () => abort.abort());
  const resize = new ResizeQueue();
  const resizeStream = streams.get('resize');
  if (resizeStream) readResizeEvents(resizeStream, resize);
  else resize.end();
  const stdin = streams.get('stdin');
  const stdout = streams.get('stdout');
  const stderr = streams.get('stderr');
  const error = streams.get('error');
  for (const s of streams.values()) quiet(s);
  return {
    stdin, stdout, stderr, resize, signal: abort.signal,
    async finish(status) {
      await Promise.all([endWritable(stdout), endWritable(stderr)]);
      const msg = encodeStatus(status, protocol === STREAM_PROTOCOL_V4);
      if (error && msg && !conn.isClosed) error.write(msg);
      await endWritable(error);
      conn.close();
    },
  };
}

/**
 * Accept the client's streams by streamType until every wanted one is open,
 * or give up at the deadline. Types the request did not ask for are refused,
 * so a client that disagrees with the request fails instead of waiting.
 */
function collectStreams(conn: SpdyConnection, wanted: Set<string>, timeoutMs: number): Promise<Map<string, SpdyStream> | undefined> {
  return new Promise((resolve) => {
    const streams = new Map<string, SpdyStream>();
    let replied = 0;
    const done = (result: Map<string, SpdyStream> | undefined): void => {
      clearTimeout(timer);
      conn.off('stream', onStream);
      conn.off('close', onClose);
      resolve(result);
    };
    const onStream = (s: SpdyStream): void => {
      const type = s.header('streamType') ?? '';
      if (!wanted.has(type) || streams.has(type)) {
        s.reset(RstStatus.RefusedStream);
        return;
      }
      streams.set(type, s);
      s.accept().then(() => {
        if (++replied === wanted.size) done(streams);
      }, () => undefined);
    };
    const onClose = (): void => done(undefined);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    conn.on('stream', onStream);
    conn.on('close', onClose);
  });
}
