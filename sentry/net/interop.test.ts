/**
 * The stack against real Linux: a veth pair between network namespaces,
 * Linux programs on one end (ping, python3 http.server, curl, python3 UDP),
 * this process's Stack on the other through a packet socket.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POLL } from '../abi/linux/poll';
import { parseIpv4 } from './addr';
import { Stack } from './stack';
import type { TcpEndpoint } from './tcp/endpoint';
import { isLinuxError } from '../errors/linuxerr';
import { retry, when } from './testing/async';
import { seededRandom } from './testing/random';
import { decode } from './testing/frames';
import { startLinuxPeer, type LinuxPeer } from './testing/linux_peer';
import { pattern } from './testing/pair';
import { TCP_FLAG } from './wire/tcp';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readToEof(ep: TcpEndpoint): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const b = await retry(ep, POLL.IN, () => ep.read(1 << 20));
    if (b.length === 0) return Buffer.concat(parts);
    parts.push(b);
  }
}

async function writeAll(ep: TcpEndpoint, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) off += await retry(ep, POLL.OUT, () => ep.write(data.subarray(off, off + (1 << 20))));
}

/** Our stack's HTTP client: GET `path` and return the body. */
async function httpGet(stack: Stack, host: string, port: number, path: string): Promise<Buffer> {
  const c = stack.tcpSocket();
  const to = { addr: parseIpv4(host), port };
  assert.ok(isLinuxError(catchError(() => c.connect(to)), 'EINPROGRESS'));
  // A blocking connect: wait for the handshake to end, then connect again for its result.
  await when(c, POLL.OUT | POLL.ERR | POLL.HUP);
  c.connect(to);
  await writeAll(c, Buffer.from(`GET ${path} HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
  const response = await readToEof(c);
  c.close();
  const split = response.indexOf('\r\n\r\n');
  assert.match(response.subarray(0, split).toString(), /^HTTP\/1\.[01] 200/);
  return response.subarray(split + 4);
}

/** Our stack's HTTP server: serves `body` to each client until stopped. */
function serve(stack: Stack, port: number, body: Buffer): { stop: () => void } {
  const l = stack.tcpSocket();
  l.bind({ addr: 0, port });
  l.listen(16);
  let stopped = false;
  void (async () => {
    while (!stopped) {
      const c = await retry(l, POLL.IN, () => l.accept());
      void (async () => {
        let req = Buffer.alloc(0);
        while (!req.includes('\r\n\r\n')) {
          const b = await retry(c, POLL.IN, () => c.read(65536));
          if (b.length === 0) break;
          req = Buffer.concat([req, b]);
        }
        await writeAll(c, Buffer.concat([Buffer.from(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
        c.close();
      })();
    }
  })().catch(() => {});
  return { stop: () => ((stopped = true), l.close()) };
}

function catchError(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Frame impairments applied on our side of the veth, both directions (this kernel has no sch_netem). */
interface Impairment {
  readonly loss: number;
  readonly reorder: number;
  readonly duplicate: number;
  readonly delayMs: number;
}

function impaired(impair: () => Impairment | undefined, rnd: () => number, deliver: (f: Buffer) => void): (f: Buffer) => void {
  return (f) => {
    const i = impair();
    if (!i) return deliver(f);
    if (rnd() < i.loss) return;
    const copies = rnd() < i.duplicate ? 2 : 1;
    for (let k = 0; k < copies; k++) {
      if (rnd() < i.reorder) setTimeout(() => deliver(f), i.delayMs);
      else deliver(f);
    }
  };
}

function waitExit(child: ReturnType<LinuxPeer['spawn']>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((res) => child.on('exit', (code) => res({ code, stdout, stderr })));
}

describe('sentry/net against Linux over a veth (AF_PACKET)', function () {
  this.timeout(180_000);
  let peer: LinuxPeer;
  let stack: Stack;
  let dir: string;
  const linuxFrames: Buffer[] = [];

  let impairment: Impairment | undefined;

  before(async () => {
    peer = await startLinuxPeer();
    stack = new Stack();
    const rnd = seededRandom(99);
    const link = peer.link;
    const send = impaired(() => impairment, rnd, (f) => link.send(f));
    stack.attachEthernet({ mtu: link.mtu, mac: link.mac, send }, { address: peer.stackAddr, prefixLength: 24, gateway: peer.peerAddr });
    const input = impaired(() => impairment, rnd, (f) => stack.input(f));
    peer.onFrame((f) => {
      if (linuxFrames.length < 10_000) linuxFrames.push(f);
      input(f);
    });
    dir = mkdtempSync(join(tmpdir(), 'tsvisor-net-'));
  });

  after(async () => {
    stack?.close();
    await peer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    assert.equal(stack.stats.get('internal_error'), 0, String(stack.lastInternalError));
  });

  it('answers ping from Linux', async () => {
    const r = await waitExit(peer.spawn(['/bin/busybox', 'ping', '-c', '3', '-W', '5', peer.stackAddr]));
    assert.match(r.stdout, /3 packets transmitted, 3 packets received/);
  });

  it('downloads 20 MB from python3 -m http.server; Linux SYN options parse', async () => {
    const body = pattern(20 << 20, 5);
    writeFileSync(join(dir, 'big'), body);
    const server = peer.spawn(['/usr/bin/python3', '-m', 'http.server', '8000', '--bind', peer.peerAddr, '--directory', dir]);
    try {
      let got: Buffer | undefined;
      for (let i = 0; i < 50 && !got; i++) {
        try {
          got = await httpGet(stack, peer.peerAddr, 8000, '/big');
        } catch (e) {
          if (!(e instanceof Error && /ECONNREFUSED/.test(e.message))) throw e;
          await new Promise((r) => setTimeout(r, 100)); // server still starting
        }
      }
      assert.ok(got);
      assert.equal(got.length, body.length);
      assert.equal(sha(got), sha(body));
      const synAck = linuxFrames.map((f) => decode(f).tcp).find((t) => t && t.flags === (TCP_FLAG.SYN | TCP_FLAG.ACK));
      assert.ok(synAck, 'saw the SYN-ACK of Linux');
      assert.equal(synAck.options.mss, 1460);
      assert.ok(synAck.options.windowScale !== undefined, 'Linux offers its window scale since we offered ours');
      assert.equal(synAck.options.sackPermitted, true, 'and SACK');
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('serves 20 MB to curl in the other namespace', async () => {
    const body = pattern(20 << 20, 6);
    const srv = serve(stack, 8080, body);
    try {
      const out = join(dir, 'curl.out');
      const r = await waitExit(peer.spawn(['/usr/bin/curl', '-sS', '--max-time', '120', '-o', out, `http://${peer.stackAddr}:8080/x`]));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(sha(readFileSync(out)), sha(body));
    } finally {
      srv.stop();
    }
  });

  it('echoes UDP to a Linux client, and Linux gets port unreachable for a closed port', async () => {
    const u = stack.udpSocket();
    u.bind({ addr: 0, port: 7 });
    void (async () => {
      for (;;) {
        const d = await retry(u, POLL.IN, () => u.recvfrom(65536));
        u.sendto(d.data, d.from);
      }
    })().catch(() => {});
    const script = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b'x' * 3000, ('${peer.stackAddr}', 7))
d, a = s.recvfrom(65536)
print(len(d), a[1])
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.settimeout(5)
c.connect(('${peer.stackAddr}', 9))
c.send(b'x')
try:
    c.recv(10)
    print('no error')
except ConnectionRefusedError:
    print('refused')
`;
    const r = await waitExit(peer.spawn(['/usr/bin/python3', '-c', script]));
    assert.equal(r.stdout, '3000 7\nrefused\n', r.stderr);
    u.close();
  });

  it('a 5 MB transfer each way stays intact through loss, reordering and duplication', async () => {
    impairment = { loss: 0.05, reorder: 0.1, duplicate: 0.01, delayMs: 2 };
    try {
      const body = pattern(5 << 20, 8);
      writeFileSync(join(dir, 'mid'), body);
      const server = peer.spawn(['/usr/bin/python3', '-m', 'http.server', '8001', '--bind', peer.peerAddr, '--directory', dir]);
      try {
        let got: Buffer | undefined;
        for (let i = 0; i < 50 && !got; i++) {
          try {
            got = await httpGet(stack, peer.peerAddr, 8001, '/mid');
          } catch (e) {
            if (!(e instanceof Error && /ECONNREFUSED/.test(e.message))) throw e;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        assert.equal(sha(got ?? Buffer.alloc(0)), sha(body));
      } finally {
        server.kill('SIGKILL');
      }
      const srv = serve(stack, 8081, body);
      try {
        const out = join(dir, 'curl2.out');
        const r = await waitExit(peer.spawn(['/usr/bin/curl', '-sS', '--max-time', '150', '-o', out, `http://${peer.stackAddr}:8081/x`]));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(sha(readFileSync(out)), sha(body));
      } finally {
        srv.stop();
      }
    } finally {
      impairment = undefined;
    }
    console.log(`      retransmits ${stack.stats.get('tcp.retransmits')}, timeouts ${stack.stats.get('tcp.timeouts')}`);
  });
});
