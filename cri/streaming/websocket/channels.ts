// The Kubernetes channel framing over WebSocket (k8s.io/apimachinery
// wsstream): every message starts with a channel number, one raw byte in the
// binary protocols, or an ASCII digit followed by base64 data in
// base64.channel.k8s.io (text messages). v5.channel.k8s.io adds the message
// [255, n]: the client will send nothing more on channel n.
import { PassThrough, Readable, Writable } from 'node:stream';
import { WebSocketConnection } from './connection';

export const STREAM_CLOSE = 255;

export interface ChannelOptions {
  base64: boolean;
  /** v5: the client half-closes channels with [255, n]. */
  streamClose: boolean;
}

export class ChannelConnection {
  private readonly readers = new Map<number, PassThrough>();

  constructor(readonly ws: WebSocketConnection, private readonly opts: ChannelOptions) {
    ws.on('message', (data, binary) => this.onMessage(data, binary));
    ws.on('close', () => {
      for (const r of this.readers.values()) r.end();
    });
  }

  /** What the client sends on `channel`; ends at its v5 close or when the socket closes. */
  reader(channel: number): Readable {
    let r = this.readers.get(channel);
    if (!r) {
      r = new PassThrough();
      this.readers.set(channel, r);
      if (this.ws.isClosed) r.end();
    }
    return r;
  }

  /** A stream whose writes become messages on `channel`. Ending it sends nothing. */
  writer(channel: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.write(channel, chunk).then(() => cb(), cb);
      },
    });
  }

  write(channel: number, data: Buffer): Promise<void> {
    if (this.opts.base64) return this.ws.send(String.fromCharCode(0x30 + channel) + data.toString('base64'), false);
    return this.ws.send(Buffer.concat([Buffer.from([channel]), data]), true);
  }

  private onMessage(data: Buffer, binary: boolean): void {
    if (data.length === 0) return;
    if (this.opts.streamClose && data[0] === STREAM_CLOSE) {
      // wsstream treats a malformed close as a protocol error and drops the connection.
      if (data.length !== 2) {
        this.ws.close(1002, 'stream close needs exactly one channel byte');
        return;
      }
      this.readers.get(data[1])?.end();
      return;
    }
    let channel = data[0];
    let payload = data.subarray(1);
    if (this.opts.base64) {
      if (binary) return;
      channel -= 0x30;
      payload = Buffer.from(payload.toString('latin1'), 'base64');
    }
    const r = this.readers.get(channel);
    // Unknown channels are ignored, as wsstream does.
    if (r && r.writable) r.write(payload);
  }
}
