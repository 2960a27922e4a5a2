// An RFC 6455 server connection: opening handshake, message reassembly,
// ping/pong, and the closing handshake.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { TextDecoder } from 'node:util';
import { headerTokens, rejectUpgrade, switchProtocols } from '../http-response';
import { CloseCode, Opcode, WsFrame, WsFrameParser, WsProtocolError, encodeClose, encodeFrame } from './frames';

/** Section 1.3: the GUID appended to Sec-WebSocket-Key. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A message (after reassembly) larger than this fails the connection with 1009. */
export const MAX_MESSAGE = 16 * 1024 * 1024;
const CLOSE_GRACE_MS = 5000;

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + ACCEPT_GUID).digest('base64');
}

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return headerTokens(req.headers.upgrade).some((u) => u.toLowerCase() === 'websocket');
}

/** The subprotocols a client offered in Sec-WebSocket-Protocol, in its order. */
export function offeredProtocols(req: IncomingMessage): string[] {
  return headerTokens(req.headers['sec-websocket-protocol']);
}

/**
 * Validate the opening handshake (section 4.2.1) and answer 101 with the
 * chosen subprotocol ('' = none). On failure the client gets an HTTP error.
 */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string): WebSocketConnection | undefined {
  const connection = headerTokens(req.headers.connection).map((t) => t.toLowerCase());
  const key = req.headers['sec-websocket-key'];
  if (req.method !== 'GET') {
    rejectUpgrade(socket, 405, 'websocket upgrade needs GET', [['Allow', 'GET']]);
    return undefined;
  }
  if (!connection.includes('upgrade') || !isWebSocketUpgrade(req)) {
    rejectUpgrade(socket, 400, 'websocket upgrade needs "Connection: Upgrade" and "Upgrade: websocket"');
    return undefined;
  }
  if (req.headers['sec-websocket-version'] !== '13') {
    rejectUpgrade(socket, 426, 'unsupported Sec-WebSocket-Version (want 13)', [['Sec-WebSocket-Version', '13']]);
    return undefined;
  }
  if (typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16) {
    rejectUpgrade(socket, 400, 'missing or malformed Sec-WebSocket-Key');
    return undefined;
  }
  const headers: Array<[string, string]> = [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', acceptKey(key)]];
  if (protocol !== '') headers.push(['Sec-WebSocket-Protocol', protocol]);
  switchProtocols(socket, headers);
  const ws = new WebSocketConnection(socket, protocol);
  ws.feed(head);
  return ws;
}

export interface WebSocketEvents {
  message: [data: Buffer, binary: boolean];
  close: [code: number, reason: string];
}

export class WebSocketConnection extends EventEmitter<WebSocketEvents> {
  private readonly parser = new WsFrameParser(MAX_MESSAGE);
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private fragmentOpcode: number | undefined;
  private closeSent = false;
  private closed = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private peerCode: number = CloseCode.NoStatus;
  private peerReason = '';
  private readonly drainWaiters: Array<() => void> = [];

  constructor(private readonly socket: Duplex, readonly protocol: string) {
    super();
    socket.on('data', (c: Buffer) => this.onData(c));
    socket.on('end', () => this.finish());
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
    socket.on('drain', () => this.wake());
  }

  feed(head: Buffer): void {
    if (head.length > 0) this.onData(head);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Send one message; resolves when the socket can take more. */
  async send(data: Buffer | string, binary: boolean): Promise<void> {
    if (this.closed || this.closeSent) throw new Error('websocket closed');
    const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.socket.write(encodeFrame(binary ? Opcode.Binary : Opcode.Text, payload));
    if (this.socket.writableNeedDrain) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  /** Start the closing handshake; the socket ends when the peer answers (or after a grace period). */
  close(code: CloseCode = CloseCode.Normal, reason = ''): void {
    if (this.closed || this.closeSent) return;
    this.closeSent = true;
    this.socket.write(encodeClose(code, reason));
    this.closeTimer = setTimeout(() => this.destroy(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }

  destroy(): void {
    this.finish();
    this.socket.destroy();
  }

  /** Mark the connection closed; `last` (if any) is flushed before the socket ends. */
  private finish(last?: Buffer): void {
    if (this.closed) return;
    this.closed = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (!this.socket.destroyed) {
      this.socket.end(last);
      setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
    }
    this.wake();
    this.emit('close', this.peerCode, this.peerReason);
  }

  private wake(): void {
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const f of this.parser.push(chunk)) {
        this.onFrame(f);
        if (this.closed) return;
      }
    } catch (err) {
      const code = err instanceof WsProtocolError ? err.code : CloseCode.InternalError;
      this.fail(code, err instanceof Error ? err.message : String(err));
    }
  }

  private fail(code: CloseCode, reason: string): void {
    const alreadySent = this.closeSent;
    this.closeSent = true;
    this.finish(alreadySent ? undefined : encodeClose(code, reason));
  }

  private onFrame(f: WsFrame): void {
    switch (f.opcode) {
      case Opcode.Ping:
        if (!this.closeSent) this.socket.write(encodeFrame(Opcode.Pong, f.payload));
        return;
      case Opcode.Pong:
        return;
      case Opcode.Close:
        this.onClose(f.payload);
        return;
      case Opcode.Continuation:
        if (this.fragmentOpcode === undefined) throw new WsProtocolError(CloseCode.ProtocolError, 'continuation without a message');
        this.addFragment(f);
        return;
      default:
        if (this.fragmentOpcode !== undefined) throw new WsProtocolError(CloseCode.ProtocolError, 'new message inside a fragmented one');
        this.fragmentOpcode = f.opcode;
        this.addFragment(f);
    }
  }

  private addFragment(f: WsFrame): void {
    this.fragmentBytes += f.payload.length;
    if (this.fragmentBytes > MAX_MESSAGE) throw new WsProtocolError(CloseCode.TooBig, `message over ${MAX_MESSAGE} bytes`);
    this.fragments.push(f.payload);
    if (!f.fin) return;
    const data = this.fragments.length === 1 ? this.fragments[0] : Buffer.concat(this.fragments);
    const binary = this.fragmentOpcode === Opcode.Binary;
    this.fragments = [];
    this.fragmentBytes = 0;
    this.fragmentOpcode = undefined;
    if (!binary && !isUtf8(data)) throw new WsProtocolError(CloseCode.InvalidPayload, 'text message is not UTF-8');
    if (!this.closeSent) this.emit('message', data, binary);
  }

  private onClose(payload: Buffer): void {
    if (payload.length === 1) throw new WsProtocolError(CloseCode.ProtocolError, 'close frame with a 1-byte payload');
    if (payload.length >= 2) {
      this.peerCode = payload.readUInt16BE(0);
      const reason = payload.subarray(2);
      if (!isUtf8(reason)) throw new WsProtocolError(CloseCode.InvalidPayload, 'close reason is not UTF-8');
      this.peerReason = reason.toString('utf8');
    }
    // Section 5.5.1: answer a close we did not start, echoing its code.
    const answer = this.closeSent ? undefined : payload.length >= 2 ? encodeClose(this.peerCode) : encodeFrame(Opcode.Close, Buffer.alloc(0));
    this.closeSent = true;
    this.finish(answer);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(b: Buffer): boolean {
  try {
    utf8.decode(b);
    return true;
  } catch {
    return false;
  }
}
