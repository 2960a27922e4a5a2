// The streaming server against client-go's own exec and port-forward clients
// (e2e/cri/goclient, built from the Go module cache at the client-go version
// crictl v1.34 uses), over SPDY/3.1 and over WebSocket. The runtime runs host
// commands; outputs and exit codes are compared exactly.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as path from 'node:path';
import { StreamIO, StreamRuntime, StreamingServer, InvalidStreamRequestError, TerminalSize } from '../../cri/streaming/server';
import { run } from './harness';

const TRANSPORTS = ['spdy', 'websocket'] as const;
let client: string;

function buildClient(): string {
  const script = path.join(__dirname, '../../../e2e/cri/goclient/build.sh');
  return execFileSync(script, { encoding: 'utf8', timeout: 600_000 }).trim();
}

/** Runs commands on the host with child_process, recording what it was asked. */
class HostRuntime implements StreamRuntime {
  readonly resizes: TerminalSize[] = [];
  readonly execs: Array<{ id: string; cmd: string[]; tty: boolean; hasStderr: boolean }> = [];
  aborted = 0;
  forwarded: number[] = [];

  async exec(id: string, cmd: string[], io: StreamIO): Promise<{ exitCode: number }> {
    this.execs.push({ id, cmd, tty: io.tty, hasStderr: io.stderr !== undefined });
    void (async () => {
      for await (const s of io.resize) this.resizes.push(s);
    })();
    io.signal.addEventListener('abort', () => this.aborted++);
    if (cmd[0] === 'fail') throw new Error('boom');
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    if (io.stdin) io.stdin.pipe(child.stdin);
    else child.stdin.end();
    child.stdin.on('error', () => undefined);
    if (io.stdout) child.stdout.pipe(io.stdout, { end: false });
    else child.stdout.resume();
    // With a tty the terminal merges stderr into stdout.
    const errSink = io.stderr ?? (io.tty ? io.stdout : undefined);
    if (errSink) child.stderr.pipe(errSink, { end: false });
    else child.stderr.resume();
    io.signal.addEventListener('abort', () => child.kill('SIGKILL'));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ exitCode: code ?? 128 + (signal ? 9 : 0) }));
    });
  }

  async attach(id: string, io: StreamIO): Promise<void> {
    // An "attached" process: echoes stdin upper-cased until stdin ends.
    if (!io.stdin || !io.stdout) throw new Error('attach needs stdin and stdout');
    for await (const chunk of io.stdin) io.stdout.write(String(chunk).toUpperCase());
  }

  portForward(pod: string, port: number, stream: Duplex): Promise<void> {
    this.forwarded.push(port);
    return new Promise((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1');
      c.on('error', reject);
      c.on('connect', () => {
        stream.pipe(c);
        c.pipe(stream);
      });
      c.on('close', () => resolve());
    });
  }
}

describe('CRI streaming server with client-go clients', function () {
  this.timeout(600_000);
  let runtime: HostRuntime;
  let server: StreamingServer;

  before(() => {
    client = buildClient();
  });

  beforeEach(async () => {
    runtime = new HostRuntime();
    server = new StreamingServer({ runtime, streamCreationTimeoutMs: 5000 });
    await server.start();
  });

  afterEach(async () => {
    await server.close();
  });

  const exec = (transport: string, url: string, flags: string[], input = ''): ReturnType<typeof run> =>
    run(client, ['exec', '-transport', transport, '-url', url, ...flags], { input, timeoutSec: 60 });

  for (const transport of TRANSPORTS) {
    describe(`exec over ${transport}`, () => {
      it('pipes stdin through, keeps stdout and stderr apart and passes exit code 3 on', async () => {
        const { url } = server.getExec({ container_id: 'c1', cmd: ['sh', '-c', 'tr a-z A-Z; echo to-stderr >&2; exit 3'], tty: false, stdin: true, stdout: true, stderr: true });
        const r = await exec(transport, url, ['-stdin'], 'hello\nworld\n');
        assert.deepEqual(r, { code: 3, stdout: 'HELLO\nWORLD\n', stderr: 'to-stderr\n' });
        assert.deepEqual(runtime.execs, [{ id: 'c1', cmd: ['sh', '-c', 'tr a-z A-Z; echo to-stderr >&2; exit 3'], tty: false, hasStderr: true }]);
      });

      it('exits 0 on success and carries 1 MiB of output byte for byte', async () => {
        const { url } = server.getExec({ container_id: 'c1', cmd: ['sh', '-c', 'head -c 1048576 /dev/zero | tr "\\0" x'], tty: false, stdin: false, stdout: true, stderr: true });
        const r = await exec(transport, url, []);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'x'.repeat(1 << 20));
        assert.equal(r.stderr, '');
      });

      it('gives a tty stdout only and delivers the resize events in order', async () => {
        const { url } = server.getExec({ container_id: 'c1', cmd: ['sh', '-c', 'echo out; echo err >&2'], tty: true, stdin: true, stdout: true, stderr: false });
        const r = await exec(transport, url, ['-stdin', '-tty', '-resize', '80x24,120x40'], '');
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'out\nerr\n');
        assert.equal(runtime.execs[0].hasStderr, false);
        assert.deepEqual(runtime.resizes, [{ width: 80, height: 24 }, { width: 120, height: 40 }]);
      });

      it('reports a runtime failure as an internal error', async () => {
        const { url } = server.getExec({ container_id: 'c1', cmd: ['fail'], tty: false, stdin: false, stdout: true, stderr: true });
        const r = await exec(transport, url, []);
        assert.equal(r.code, 125);
        assert.match(r.stderr, /Internal error occurred: error executing command in container: boom/);
      });

      it('attaches: stdin in, stdout out, success when the stream ends', async () => {
        const { url } = server.getAttach({ container_id: 'c2', tty: false, stdin: true, stdout: true, stderr: false });
        const r = await exec(transport, url, ['-stdin', '-stderr=false'], 'attach me\n');
        assert.deepEqual(r, { code: 0, stdout: 'ATTACH ME\n', stderr: '' });
      });
    });

    describe(`port-forward over ${transport}`, () => {
      let echo: net.Server;
      beforeEach(async () => {
        echo = net.createServer((s) => s.pipe(s));
        await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
      });
      afterEach(() => new Promise<void>((resolve) => echo.close(() => resolve())));

      it('round-trips 1 MiB byte for byte, on two connections in turn', async () => {
        const port = (echo.address() as net.AddressInfo).port;
        const { url } = server.getPortForward({ pod_sandbox_id: 'p1', port: [port] });
        await withForwarder(transport, url, port, async (local) => {
          for (let i = 0; i < 2; i++) {
            const data = randomBytes(1 << 20);
            assert(data.equals(await roundTrip(local, data)), `connection ${i}`);
          }
        });
        assert.deepEqual(runtime.forwarded, [port, port]);
      });

      it('tells the client when the port cannot be reached', async () => {
        const closed = net.createServer();
        await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
        const port = (closed.address() as net.AddressInfo).port;
        await new Promise<void>((resolve) => closed.close(() => resolve()));
        const { url } = server.getPortForward({ pod_sandbox_id: 'p1', port: [] });
        const stderr = await withForwarder(transport, url, port, async (local) => {
          // The client drops the session and exits, so the local connection may end with a reset.
          assert.equal((await roundTrip(local, Buffer.from('x'), true)).length, 0);
        }, 125);
        // client-go reports the error stream's text, then drops the session ("lost connection to pod").
        assert.match(stderr, new RegExp(`an error occurred forwarding \\d+ -> ${port}: error forwarding port ${port}: connect ECONNREFUSED`));
        assert.match(stderr, /streamclient: lost connection to pod/);
      });
    });
  }

  describe('URLs and requests', () => {
    it('builds URLs on the listening address, one token each, usable once', async () => {
      const req = { container_id: 'c', cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: false };
      const a = server.getExec(req).url;
      const b = server.getExec(req).url;
      assert.match(a, /^http:\/\/127\.0\.0\.1:\d+\/exec\/[A-Za-z0-9_-]+$/);
      assert.notEqual(a, b);
      assert.equal((await exec('spdy', a, ['-stderr=false'])).code, 0);
      const again = await exec('spdy', a, ['-stderr=false']);
      assert.equal(again.code, 125);
      assert.match(again.stderr, /404/);
    });

    it('answers unknown tokens 404, a token on the wrong endpoint 404, and plain requests 400', async () => {
      const base = server.getExec({ container_id: 'c', cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: false }).url;
      const token = base.split('/').pop();
      const origin = new URL(base).origin;
      assert.equal((await get(`${origin}/exec/nosuchtoken`)).status, 404);
      assert.equal((await get(`${origin}/attach/${token}`)).status, 404);
      // The wrong endpoint spent the token.
      assert.equal((await get(base)).status, 404);
      const fresh = server.getAttach({ container_id: 'c', tty: false, stdin: true, stdout: false, stderr: false }).url;
      const plain = await get(fresh);
      assert.equal(plain.status, 400);
      assert.match(plain.body, /need an upgrade/);
    });

    it('refuses invalid CRI requests with clear errors', () => {
      const base = { container_id: 'c', cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: false };
      assert.throws(() => server.getExec({ ...base, container_id: '' }), /missing required container_id/);
      assert.throws(() => server.getExec({ ...base, tty: true, stderr: true }), /tty and stderr cannot both be true/);
      assert.throws(() => server.getExec({ ...base, stdout: false }), /one of stdin, stdout, or stderr must be set/);
      assert.throws(() => server.getExec({ ...base, cmd: [] }), InvalidStreamRequestError);
      assert.throws(() => server.getPortForward({ pod_sandbox_id: '', port: [] }), /missing required pod_sandbox_id/);
      assert.throws(() => server.getPortForward({ pod_sandbox_id: 'p', port: [70000] }), /invalid port 70000/);
    });

    it('negotiates SPDY protocol versions in the client\'s order and refuses unknown ones', async () => {
      const req = { container_id: 'c', cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: false };
      const refused = await rawUpgrade(server.getExec(req).url, { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v9.channel.k8s.io' });
      assert.match(refused, /^HTTP\/1\.1 403 /);
      assert.match(refused, /X-Accepted-Stream-Protocol-Versions: v4\.channel\.k8s\.io/);
      const missing = await rawUpgrade(server.getExec(req).url, { Upgrade: 'SPDY/3.1' });
      assert.match(missing, /^HTTP\/1\.1 400 [^]*X-Stream-Protocol-Version is required/);
      const ok = await rawUpgrade(server.getExec(req).url, { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v2.channel.k8s.io, v4.channel.k8s.io' });
      assert.match(ok, /^HTTP\/1\.1 101 [^]*X-Stream-Protocol-Version: v2\.channel\.k8s\.io\r\n/);
    });

    it('survives a client that sends garbage after the upgrade, or hangs up mid-command', async () => {
      const req = { container_id: 'c', cmd: ['sleep', '30'], tty: false, stdin: false, stdout: true, stderr: false };
      const garbage = await rawUpgrade(server.getExec(req).url, { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' }, Buffer.alloc(64, 0xff));
      assert.match(garbage, /^HTTP\/1\.1 101 /);
      // A client killed while the command runs: the runtime is told, and the server serves on.
      const url = server.getExec(req).url;
      const killed = spawn(client, ['exec', '-transport', 'spdy', '-url', url, '-stderr=false']);
      while (runtime.execs.length === 0) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      killed.kill('SIGKILL');
      while (runtime.aborted === 0) await new Promise((r) => setTimeout(r, 20));
      const after = server.getExec({ ...req, cmd: ['echo', 'still here'] }).url;
      assert.deepEqual(await exec('websocket', after, ['-stderr=false']), { code: 0, stdout: 'still here\n', stderr: '' });
    });
  });
});

async function withForwarder(transport: string, url: string, port: number, body: (local: number) => Promise<void>, wantExit = 0): Promise<string> {
  const child = spawn(client, ['portforward', '-transport', transport, '-url', url, '-port', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    const local = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c) => {
        out += c;
        const m = /LISTEN (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      void exited.then(() => reject(new Error(`port-forward client exited: ${stderr}`)));
    });
    await body(local);
    // A client that must fail ends on its own; ending its stdin first would stop it cleanly (exit 0) before it noticed.
    if (wantExit !== 0) await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  } finally {
    child.stdin.end();
  }
  assert.equal(await exited, wantExit, stderr);
  return stderr;
}

/** Sends data and collects the reply until the far side closes; with resetEnds a reset counts as that close. */
function roundTrip(port: number, data: Buffer, resetEnds = false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let n = 0;
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      n += c.length;
      if (n >= data.length) s.end();
    });
    s.on('error', (e: NodeJS.ErrnoException) => (resetEnds && e.code === 'ECONNRESET' ? undefined : reject(e)));
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.write(data);
  });
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Sends an upgrade request by hand (plus `after` once answered) and returns what the server wrote within 300 ms. */
function rawUpgrade(url: string, headers: Record<string, string>, after?: Buffer): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname);
    let got = '';
    s.on('data', (c) => {
      got += c.toString('latin1');
      if (after && got.includes('\r\n\r\n')) {
        s.write(after);
        after = undefined;
      }
    });
    s.on('error', reject);
    const lines = [`POST ${u.pathname} HTTP/1.1`, `Host: ${u.host}`, 'Connection: Upgrade', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    s.write(`${lines.join('\r\n')}\r\n\r\n`);
    setTimeout(() => {
      s.destroy();
      resolve(got);
    }, 300);
  });
}
