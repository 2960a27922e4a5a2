// The server side of a SPDY/3.1 session: accepts the peer's streams, echoes
// its pings, keeps flow-control windows, and hands each stream out as a
// Duplex (readable = the peer's DATA, writable = ours, end() sends FIN).
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import {
  FLAG_FIN, FLAG_UNIDIRECTIONAL, Frame, FrameParser, GoAwayStatus, RstStatus, SETTINGS_INITIAL_WINDOW_SIZE,
  SpdyProtocolError, encodeData, encodeGoAway, encodePing, encodeRstStream, encodeSynReply, encodeWindowUpdate,
} from './frames';
import { HeaderCompressor, HeaderDecompressor, HeaderMap } from './headers';

/** SPDY/3.1 section 2.6.8: every stream window and the session window start at 64 KiB. */
export const INITIAL_WINDOW = 64 * 1024;
/** DATA frames we send carry at most this much, so streams interleave. */
const MAX_DATA_CHUNK = 32 * 1024;
/** How long close() waits for the peer to hang up before cutting the socket. */
const CLOSE_GRACE_MS = 5000;

export interface SpdyConnectionOptions {
  /**
   * Hold our DATA frames to the peer's windows. Off by default: client-go's
   * SPDY library (moby/spdystream, the only client of these endpoints) never
   * sends WINDOW_UPDATE, so honouring the windows would stall every stream
   * after 64 KiB; kubelet's own streaming server does not enforce them either.
   * Socket backpressure bounds what we buffer instead.
   */
  enforceSendWindow?: boolean;
}

export interface SpdyConnectionEvents {
  stream: [SpdyStream];
  close: [];
}

export class SpdyConnection extends EventEmitter<SpdyConnectionEvents> {
  private readonly parser = new FrameParser();
  private readonly inflater = new HeaderDecompressor();
  private readonly deflater = new HeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly pausedBy = new Set<SpdyStream>();
  private readonly enforceSendWindow: boolean;
  private inbound: Promise<void> = Promise.resolve();
  private outQueue: Array<{ item: Buffer | Promise<Buffer>; resolve: () => void; reject: (err: Error) => void }> = [];
  private readonly flushWaiters: Array<() => void> = [];
  private pumping = false;
  private lastStreamId = 0;
  private goingAway = false;
  private closed = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private initialSendWindow = INITIAL_WINDOW;
  sessionSendWindow = INITIAL_WINDOW;
  private sessionUncredited = 0;
  private readonly windowWaiters: Array<() => void> = [];

  constructor(private readonly socket: Duplex, opts: SpdyConnectionOptions = {}) {
    super();
    this.enforceSendWindow = opts.enforceSendWindow ?? false;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onPeerEnd());
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
    socket.on('drain', () => this.wakeWriters());
  }

  /** Feed bytes that arrived with the upgrade request, before the socket was handed over. */
  feed(head: Buffer): void {
    if (head.length > 0) this.onData(head);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Graceful end: GOAWAY, our side of the socket ended once queued frames are out. */
  close(): void {
    if (this.closed || this.goingAway) return;
    this.goingAway = true;
    this.send(encodeGoAway(this.lastStreamId, GoAwayStatus.Ok));
    this.whenFlushed(() => this.socket.end());
    this.closeTimer = setTimeout(() => this.destroy(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }

  /** Abrupt end: every stream is destroyed and the socket closed (or, if `cutSocket` is false, left to finish its end()). */
  destroy(cutSocket = true): void {
    if (this.closed) return;
    this.closed = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    for (const s of [...this.streams.values()]) s.destroy();
    this.streams.clear();
    this.pausedBy.clear();
    for (const q of this.outQueue.splice(0)) q.reject(new Error('SPDY connection closed'));
    this.inflater.close();
    this.deflater.close();
    if (cutSocket) this.socket.destroy();
    else setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
    this.wakeWriters();
    this.emit('close');
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      this.protocolError(err);
      return;
    }
    for (const frame of frames) {
      this.inbound = this.inbound.then(() => this.handle(frame)).catch((err) => this.protocolError(err));
    }
  }

  private onPeerEnd(): void {
    // The peer sends nothing more: streams it left open will never finish.
    this.inbound = this.inbound.then(() => {
      for (const s of [...this.streams.values()]) s.remoteEnded();
      this.close();
    });
  }

  private protocolError(err: unknown): void {
    if (this.closed) return;
    const goAway = err instanceof SpdyProtocolError && !this.goingAway;
    this.goingAway = true;
    // end() flushes the GOAWAY before the socket closes; destroy() would drop it.
    if (goAway && !this.socket.destroyed) this.socket.end(encodeGoAway(this.lastStreamId, GoAwayStatus.ProtocolError));
    this.destroy(!goAway);
  }

  private async handle(frame: Frame): Promise<void> {
    if (this.closed) return;
    switch (frame.kind) {
      case 'synStream': {
        const headers = await this.inflater.decompress(frame.headerBlock);
        this.openStream(frame.streamId, headers, frame.flags);
        return;
      }
      case 'synReply':
        // We never open streams, so a reply can only be a confused peer.
        await this.inflater.decompress(frame.headerBlock);
        this.send(encodeRstStream(frame.streamId, RstStatus.InvalidStream));
        return;
      case 'headers': {
        await this.inflater.decompress(frame.headerBlock);
        if (frame.flags & FLAG_FIN) this.streams.get(frame.streamId)?.remoteEnded();
        return;
      }
      case 'data':
        this.onDataFrame(frame.streamId, frame.data, (frame.flags & FLAG_FIN) !== 0);
        return;
      case 'rstStream':
        this.streams.get(frame.streamId)?.peerReset();
        return;
      case 'settings':
        for (const e of frame.entries) {
          if (e.id !== SETTINGS_INITIAL_WINDOW_SIZE) continue;
          const delta = e.value - this.initialSendWindow;
          this.initialSendWindow = e.value;
          for (const s of this.streams.values()) s.sendWindow += delta;
        }
        this.wakeWriters();
        return;
      case 'ping':
        // Odd ids are the client's (section 2.6.5): echo them; even ones would answer our pings.
        if (frame.id % 2 === 1) this.send(encodePing(frame.id));
        return;
      case 'goAway':
        this.goingAway = true;
        return;
      case 'windowUpdate':
        if (frame.streamId === 0) this.sessionSendWindow += frame.delta;
        else {
          const s = this.streams.get(frame.streamId);
          if (s) s.sendWindow += frame.delta;
        }
        this.wakeWriters();
        return;
      case 'unknown':
        return;
    }
  }

  private openStream(id: number, headers: HeaderMap, flags: number): void {
    if (this.goingAway) {
      this.send(encodeRstStream(id, RstStatus.RefusedStream));
      return;
    }
    if (id === 0 || id % 2 === 0 || id <= this.lastStreamId) {
      // Section 2.3.2: client stream ids are odd and increasing.
      this.send(encodeRstStream(id, this.streams.has(id) ? RstStatus.StreamInUse : RstStatus.ProtocolError));
      return;
    }
    this.lastStreamId = id;
    const stream = new SpdyStream(this, id, headers, this.initialSendWindow);
    this.streams.set(id, stream);
    if (flags & FLAG_UNIDIRECTIONAL) stream.markLocalFinished();
    if (flags & FLAG_FIN) stream.remoteEnded();
    this.emit('stream', stream);
  }

  private onDataFrame(id: number, data: Buffer, fin: boolean): void {
    const stream = this.streams.get(id);
    if (!stream) {
      // Frames for streams we already closed can still be in flight; ids never opened are an error.
      if (id > this.lastStreamId) this.send(encodeRstStream(id, RstStatus.InvalidStream));
      return;
    }
    if (data.length > 0) stream.receive(data);
    if (fin) stream.remoteEnded();
  }

  /** A stream's reader is over its high-water mark: stop reading the socket. */
  pauseFor(stream: SpdyStream): void {
    this.pausedBy.add(stream);
    this.socket.pause();
  }

  resumeFor(stream: SpdyStream): void {
    if (!this.pausedBy.delete(stream)) return;
    if (this.pausedBy.size === 0 && !this.closed) this.socket.resume();
  }

  /** The reader took `bytes`: give the peer its window back in half-window steps. */
  credit(stream: SpdyStream, bytes: number): void {
    if (this.closed || bytes === 0) return;
    stream.uncredited += bytes;
    this.sessionUncredited += bytes;
    if (stream.uncredited >= INITIAL_WINDOW / 2 && !stream.remoteFinished) {
      this.send(encodeWindowUpdate(stream.id, stream.uncredited));
      stream.uncredited = 0;
    }
    if (this.sessionUncredited >= INITIAL_WINDOW / 2) {
      this.send(encodeWindowUpdate(0, this.sessionUncredited));
      this.sessionUncredited = 0;
    }
  }

  sendReply(stream: SpdyStream): Promise<void> {
    const frame = this.deflater.compress(new Map()).then((block) => encodeSynReply(stream.id, block, false));
    return this.send(frame);
  }

  sendReset(stream: SpdyStream, status: RstStatus): void {
    this.send(encodeRstStream(stream.id, status));
  }

  /** Queue our DATA for a stream, split into chunks; resolves once the socket can take more. */
  async writeData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void> {
    let off = 0;
    do {
      if (this.closed) throw new Error('SPDY connection closed');
      if (stream.isReset) return;
      let n = Math.min(data.length - off, MAX_DATA_CHUNK);
      if (this.enforceSendWindow && n > 0) {
        await this.waitFor(() => this.closed || stream.isReset || (stream.sendWindow > 0 && this.sessionSendWindow > 0));
        if (this.closed || stream.isReset) continue;
        n = Math.min(n, stream.sendWindow, this.sessionSendWindow);
      }
      const last = off + n === data.length;
      stream.sendWindow -= n;
      this.sessionSendWindow -= n;
      this.send(encodeData(stream.id, data.subarray(off, off + n), fin && last));
      off += n;
      await this.waitFor(() => this.closed || !this.socket.writableNeedDrain);
    } while (off < data.length);
  }

  /** Both halves of a stream are done (or it was reset): forget it. */
  forget(stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.resumeFor(stream);
    this.wakeWriters();
  }

  private waitFor(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (ready()) resolve();
        else this.windowWaiters.push(check);
      };
      this.windowWaiters.push(check);
    });
  }

  private wakeWriters(): void {
    for (const w of this.windowWaiters.splice(0)) w();
  }

  /** Frames go out in queue order; header frames wait for their compressor. Resolves once written. */
  private send(item: Buffer | Promise<Buffer>): Promise<void> {
    let sent: Promise<void>;
    if (this.closed) sent = Promise.reject(new Error('SPDY connection closed'));
    else if (!this.pumping && Buffer.isBuffer(item)) {
      this.socket.write(item);
      sent = Promise.resolve();
    } else {
      sent = new Promise((resolve, reject) => {
        this.outQueue.push({ item, resolve, reject });
        void this.pump();
      });
    }
    // Most frames are fire-and-forget; only callers that await see a failure.
    sent.catch(() => undefined);
    return sent;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    while (this.outQueue.length > 0) {
      const next = this.outQueue.shift()!;
      try {
        const frame = await next.item;
        if (this.closed) throw new Error('SPDY connection closed');
        this.socket.write(frame);
        next.resolve();
      } catch (err) {
        next.reject(err instanceof Error ? err : new Error(String(err)));
        this.destroy();
      }
    }
    this.pumping = false;
    for (const fn of this.flushWaiters.splice(0)) fn();
  }

  private whenFlushed(fn: () => void): void {
    if (!this.pumping) fn();
    else this.flushWaiters.push(fn);
  }
}

/** One SPDY stream opened by the peer. accept() replies; reset() refuses or aborts. */
export class SpdyStream extends Duplex {
  sendWindow: number;
  uncredited = 0;
  remoteFinished = false;
  private pendingCredit = 0;
  private localFinished = false;
  private reset_ = false;
  private replied: Promise<void> | undefined;

  constructor(private readonly conn: SpdyConnection, readonly id: number, readonly headers: HeaderMap, sendWindow: number) {
    super({ allowHalfOpen: true });
    this.sendWindow = sendWindow;
  }

  get isReset(): boolean {
    return this.reset_;
  }

  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** Send SYN_REPLY; our DATA may follow once it is queued. */
  accept(): Promise<void> {
    this.replied ??= this.conn.sendReply(this);
    return this.replied;
  }

  /** RST_STREAM the stream (refuse it, or abort it) and destroy it here. */
  reset(status: RstStatus = RstStatus.Cancel): void {
    if (this.reset_) return;
    if (!this.conn.isClosed && !(this.localFinished && this.remoteFinished)) this.conn.sendReset(this, status);
    this.reset_ = true;
    this.destroy();
  }

  markLocalFinished(): void {
    this.localFinished = true;
  }

  receive(data: Buffer): void {
    if (this.remoteFinished || this.destroyed) return;
    if (this.push(data)) this.conn.credit(this, data.length);
    else {
      // Credited when the reader asks for more (_read), so a slow reader holds the peer back.
      this.pendingCredit += data.length;
      this.conn.pauseFor(this);
    }
  }

  remoteEnded(): void {
    if (this.remoteFinished) return;
    this.remoteFinished = true;
    if (!this.destroyed) this.push(null);
    this.maybeDone();
  }

  peerReset(): void {
    this.reset_ = true;
    this.remoteFinished = true;
    this.destroy();
  }

  override _read(): void {
    const bytes = this.pendingCredit;
    this.pendingCredit = 0;
    this.conn.credit(this, bytes);
    this.conn.resumeFor(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.sendData(chunk, false).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.sendData(Buffer.alloc(0), true).then(() => {
      this.localFinished = true;
      this.maybeDone();
      cb();
    }, cb);
  }

  private async sendData(data: Buffer, fin: boolean): Promise<void> {
    if (this.reset_ || this.localFinished) return;
    if (!this.replied) throw new Error(`SPDY stream ${this.id}: write before accept()`);
    await this.replied;
    await this.conn.writeData(this, data, fin);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.reset_ && !(this.localFinished && this.remoteFinished) && !this.conn.isClosed) {
      this.reset_ = true;
      this.conn.sendReset(this, RstStatus.Cancel);
    }
    this.conn.forget(this);
    cb(err);
  }

  private maybeDone(): void {
    if (this.localFinished && this.remoteFinished) this.conn.forget(this);
  }
}
