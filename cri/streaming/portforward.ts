// Port forwarding (kubelet cri/streaming/portforward, client-go
// tools/portforward): on a SPDY session, each forwarded connection is a pair
// of streams, "error" and "data", sharing the port and requestID headers.
// Over WebSocket, client-go tunnels the same SPDY session inside binary
// messages under the subprotocol "SPDY/3.1+portforward.k8s.io".
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { finished } from 'node:stream/promises';
import { rejectUpgrade } from './http-response';
import { SpdyConnection, SpdyStream } from './spdy/connection';
import { RstStatus } from './spdy/frames';
import { upgradeToSpdy } from './spdy/upgrade';
import { acceptWebSocket, offeredProtocols } from './websocket/connection';
import { WebSocketTunnel } from './websocket/tunnel';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;
/** How long the second stream of a pair may lag the first (kubelet's stream creation timeout). */
export const PAIR_TIMEOUT_MS = 30_000;

/** Forward one connection: resolves when the stream is done with, rejects with a message for the client. */
export type Forward = (port: number, stream: Duplex) => Promise<void>;

export interface PortForwardOptions {
  /** Ports the CRI request named; empty allows any (kubelet passes none for SPDY). */
  ports: readonly number[];
  forward: Forward;
  pairTimeoutMs?: number;
}

export function servePortForward(req: IncomingMessage, socket: Duplex, head: Buffer, opts: PortForwardOptions): void {
  if ((req.headers.upgrade ?? '').toLowerCase() === 'websocket') {
    const offered = offeredProtocols(req);
    if (!offered.includes(TUNNEL_PROTOCOL)) {
      rejectUpgrade(socket, 400, `port forwarding over WebSocket needs the subprotocol ${TUNNEL_PROTOCOL} (offered: [${offered.join(' ')}])`);
      return;
    }
    const ws = acceptWebSocket(req, socket, head, TUNNEL_PROTOCOL);
    if (ws) servePairs(new SpdyConnection(new WebSocketTunnel(ws)), opts);
    return;
  }
  const up = upgradeToSpdy(req, socket, head, [PORT_FORWARD_PROTOCOL]);
  if (up) servePairs(up.conn, opts);
}

interface Pair { data?: SpdyStream; error?: SpdyStream; timer: NodeJS.Timeout }

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || !/^[0-9]{1,5}$/.test(value)) return undefined;
  const port = Number(value);
  return port >= 1 && port <= 65535 ? port : undefined;
}

function servePairs(conn: SpdyConnection, opts: PortForwardOptions): void {
  const pairs = new Map<string, Pair>();
  const timeout = opts.pairTimeoutMs ?? PAIR_TIMEOUT_MS;

  conn.on('stream', (s) => {
    const port = parsePort(s.header('port'));
    const type = s.header('streamType');
    if (port === undefined || (type !== 'data' && type !== 'error')) {
      // kubelet refuses such streams outright: there is no error stream to explain on.
      s.reset(RstStatus.RefusedStream);
      return;
    }
    // Without a requestID, old clients pair error stream n with data stream n+2.
    const requestID = s.header('requestID') ?? String(type === 'error' ? s.id : s.id - 2);
    let pair = pairs.get(requestID);
    if (!pair) {
      const timer = setTimeout(() => {
        pairs.delete(requestID);
        fail(pair!, `timed out waiting for the data and error streams of request ${requestID}`);
      }, timeout);
      timer.unref();
      pair = { timer };
      pairs.set(requestID, pair);
    }
    s.accept().catch(() => undefined);
    s.on('error', () => undefined);
    if (pair[type]) {
      s.reset(RstStatus.StreamInUse);
      fail(pair, `${type} stream of request ${requestID} already assigned`);
      return;
    }
    pair[type] = s;
    if (pair.data && pair.error) {
      clearTimeout(pair.timer);
      pairs.delete(requestID);
      void run(pair.data, pair.error, port, opts);
    }
  });
  conn.on('close', () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
  });
}

async function run(data: SpdyStream, error: SpdyStream, port: number, opts: PortForwardOptions): Promise<void> {
  try {
    if (opts.ports.length > 0 && !opts.ports.includes(port)) throw new Error(`port ${port} was not requested for forwarding`);
    await opts.forward(port, data);
    await Promise.all([endStream(data), endStream(error)]);
  } catch (err) {
    fail({ data, error }, `error forwarding port ${port}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Tell the client on the error stream, then reset the pair (as kubelet does). */
function fail(pair: { data?: SpdyStream; error?: SpdyStream }, message: string): void {
  pair.data?.reset();
  if (pair.error && !pair.error.destroyed) {
    pair.error.end(message, () => pair.error?.reset());
  }
}

async function endStream(s: SpdyStream): Promise<void> {
  if (s.destroyed) return;
  if (!s.writableEnded) s.end();
  await finished(s, { readable: false }).catch(() => undefined);
}
