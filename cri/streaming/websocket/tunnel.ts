// A byte stream carried in binary WebSocket messages, as client-go's
// port-forward "SPDY/3.1+portforward.k8s.io" tunnel sends it: message
// boundaries mean nothing, the SPDY session runs on the concatenation.
import { Duplex } from 'node:stream';
import { WebSocketConnection } from './connection';

export class WebSocketTunnel extends Duplex {
  constructor(private readonly ws: WebSocketConnection) {
    super();
    ws.on('message', (data, binary) => {
      // Text would be a protocol error in the tunnel; client-go does the same check.
      if (!binary) {
        ws.close(1003, 'tunnel carries binary messages only');
        return;
      }
      this.push(data);
    });
    ws.on('close', () => {
      this.push(null);
      this.destroy();
    });
  }

  override _read(): void {
    // Messages are pushed as they arrive; the session bounds its own buffering.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.ws.send(chunk, true).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.ws.close();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.ws.destroy();
    cb(err);
  }
}
