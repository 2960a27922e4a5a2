import assert from 'node:assert/strict';
import * as net from 'node:net';
import { INITIAL_WINDOW, SpdyConnection, SpdyStream } from './connection';
import { Frame, FrameParser, encodeData, encodePing, encodeSynStream, encodeWindowUpdate } from './frames';
import { HeaderCompressor, HeaderDecompressor } from './headers';

/** A loopback TCP pair: the server side runs SpdyConnection, the test plays the client with raw frames. */
async function pair(enforceSendWindow: boolean): Promise<{ conn: SpdyConnection; peer: Peer; cleanup: () => void }> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => srv.once('connection', resolve));
  const sock = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
  const conn = new SpdyConnection(await accepted, { enforceSendWindow });
  const peer = new Peer(sock);
  return { conn, peer, cleanup: () => { conn.destroy(); sock.destroy(); srv.close(); } };
}

class Peer {
  readonly frames: Frame[] = [];
  private readonly parser = new FrameParser();
  private readonly deflater = new HeaderCompressor();
  readonly inflater = new HeaderDecompressor();
  private waiters: Array<() => void> = [];

  constructor(readonly sock: net.Socket) {
    sock.on('data', (c: Buffer) => {
      this.frames.push(...this.parser.push(c));
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('close', () => {
      this.deflater.close();
      this.inflater.close();
    });
  }

  async open(id: number, headers: Record<string, string>): Promise<void> {
    const block = await this.deflater.compress(new Map(Object.entries(headers).map(([k, v]) => [k, [v]])));
    this.sock.write(encodeSynStream(id, block));
  }

  async until(pred: (frames: Frame[]) => boolean, ms = 2000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this.frames)) {
      if (Date.now() > deadline) throw new Error(`timed out; frames: ${this.frames.map((f) => f.kind).join(',')}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  dataBytes(id: number): number {
    return this.frames.reduce((n, f) => n + (f.kind === 'data' && f.streamId === id ? f.data.length : 0), 0);
  }
}

function nextStream(conn: SpdyConnection): Promise<SpdyStream> {
  return new Promise((resolve) => conn.once('stream', resolve));
}

describe('SPDY connection', () => {
  it('replies to an accepted stream, then holds DATA to the peer\'s windows when enforcing them', async () => {
    const { conn, peer, cleanup } = await pair(true);
    try {
      const got = nextStream(conn);
      await peer.open(1, { streamtype: 'stdout' });
      const s = await got;
      assert.equal(s.header('streamType'), 'stdout');
      await s.accept();
      s.write(Buffer.alloc(100_000, 7));
      await peer.until((f) => f.some((x) => x.kind === 'synReply') && peer.dataBytes(1) === INITIAL_WINDOW);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(peer.dataBytes(1), INITIAL_WINDOW, 'stops at the initial window');
      peer.sock.write(Buffer.concat([encodeWindowUpdate(1, 50_000), encodeWindowUpdate(0, 20_000)]));
      await peer.until(() => peer.dataBytes(1) === INITIAL_WINDOW + 20_000);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(peer.dataBytes(1), INITIAL_WINDOW + 20_000, 'the session window is the tighter one now');
      peer.sock.write(encodeWindowUpdate(0, 100_000));
      await peer.until(() => peer.dataBytes(1) === 100_000);
      const reply = peer.frames.find((f) => f.kind === 'synReply');
      assert(reply?.kind === 'synReply');
      assert.deepEqual(await peer.inflater.decompress(reply.headerBlock), new Map());
    } finally {
      cleanup();
    }
  });

  it('echoes the client\'s pings, credits consumed DATA with WINDOW_UPDATE, and ends the readable at FIN', async () => {
    const { conn, peer, cleanup } = await pair(false);
    try {
      const got = nextStream(conn);
      await peer.open(1, { streamtype: 'stdin' });
      const s = await got;
      void s.accept();
      peer.sock.write(encodePing(5));
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      const ended = new Promise((resolve) => s.on('end', resolve));
      peer.sock.write(Buffer.concat([encodeData(1, Buffer.alloc(40_000, 1), false), encodeData(1, Buffer.from('end'), true)]));
      await ended;
      assert.equal(Buffer.concat(chunks).length, 40_003);
      await peer.until((f) => f.some((x) => x.kind === 'ping') && f.some((x) => x.kind === 'windowUpdate' && x.streamId === 0));
      assert.deepEqual(peer.frames.filter((f) => f.kind === 'ping'), [{ kind: 'ping', id: 5 }]);
      assert.deepEqual(peer.frames.filter((f) => f.kind === 'windowUpdate'), [
        { kind: 'windowUpdate', streamId: 1, delta: 40_000 },
        { kind: 'windowUpdate', streamId: 0, delta: 40_000 },
      ]);
    } finally {
      cleanup();
    }
  });

  it('refuses even and non-increasing stream ids, and answers DATA on never-opened streams with INVALID_STREAM', async () => {
    const { conn, peer, cleanup } = await pair(false);
    try {
      const streams: number[] = [];
      conn.on('stream', (s) => streams.push(s.id));
      await peer.open(2, { streamtype: 'x' });
      await peer.open(3, { streamtype: 'x' });
      await peer.open(3, { streamtype: 'x' });
      peer.sock.write(encodeData(9, Buffer.from('?'), false));
      await peer.until((f) => f.filter((x) => x.kind === 'rstStream').length === 3);
      assert.deepEqual(streams, [3]);
      assert.deepEqual(peer.frames.filter((f) => f.kind === 'rstStream'), [
        { kind: 'rstStream', streamId: 2, status: 1 },
        { kind: 'rstStream', streamId: 3, status: 8 },
        { kind: 'rstStream', streamId: 9, status: 2 },
      ]);
    } finally {
      cleanup();
    }
  });

  it('ends the session with GOAWAY on a malformed frame', async () => {
    const { conn, peer, cleanup } = await pair(false);
    try {
      const closed = new Promise<void>((resolve) => conn.on('close', () => resolve()));
      peer.sock.write(Buffer.from('8002000600000004000000ff', 'hex'));
      await closed;
      await peer.until((f) => f.some((x) => x.kind === 'goAway'));
      assert.deepEqual(peer.frames, [{ kind: 'goAway', lastGoodStreamId: 0, status: 1 }]);
    } finally {
      cleanup();
    }
  });
});
