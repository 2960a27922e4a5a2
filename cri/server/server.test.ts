/**
 * The server as real clients see it: crictl (cri-tools v1.34) and raw gRPC
 * against a server on a unix socket, with the fake runtime behind it, and a
 * second server as the upstream.
 */
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { crictl, run } from '../../e2e/cri/harness';
import { REPO_ROOT } from '../../e2e/syscalls/harness';
import { DEFAULT_CONFIG, type CriConfig } from '../config';
import { decodeResponse, defaults, encodeRequest, rpc } from '../proto/codec';
import { ContainerEventType, MountPropagation, NamespaceMode, Protocol, type ContainerEventResponse } from '../proto/types';
import { CriError } from './errors';
import { FakeImages, FakeRuntime } from './fake-runtime';
import { createLogger } from './log';
import { startCriServer, type CriServer } from './server';
import { Upstream } from './upstream';

const POD = {
  metadata: { name: 'web', namespace: 'default', uid: 'uid-1', attempt: 2 },
  hostname: 'webhost',
  log_directory: '/var/log/pods/web',
  labels: { app: 'web' },
  annotations: { 'example.com/a': 'b' },
  dns_config: { servers: ['10.0.0.10'], searches: ['svc.local'], options: ['ndots:5'] },
  port_mappings: [{ protocol: 1, container_port: 53, host_port: 5353, host_ip: '127.0.0.1' }],
  linux: { cgroup_parent: '/kubepods/pod1', sysctls: { 'net.ipv4.ip_forward': '1' }, security_context: { namespace_options: { network: 2 } } },
};

const CONTAINER = {
  metadata: { name: 'app', attempt: 1 },
  image: { image: 'reg.test/busybox:1.0' },
  command: ['/bin/sh'],
  args: ['-c', 'echo hi'],
  working_dir: '/work',
  envs: [{ key: 'A', value: '1' }],
  mounts: [{ container_path: '/data', host_path: '/srv/data', readonly: true, propagation: 1 }],
  log_path: 'app/1.log',
  tty: true,
  labels: { tier: 'front' },
};

/** crictl's log lines escape the quotes of the gRPC message. */
const unquote = (text: string): string => text.replace(/\\"/g, '"');

/** The request of the runtime's last `method` call. */
function lastCall(rt: FakeRuntime, method: string): unknown {
  const calls = rt.calls.filter((c) => c.method === method);
  assert.ok(calls.length > 0, `no ${method} call`);
  return calls[calls.length - 1].req;
}

describe('cri/server with crictl', function () {
  this.timeout(120_000);
  let dir: string;
  const servers: CriServer[] = [];
  const logs: string[] = [];

  const config = (name: string, extra: Partial<CriConfig> = {}): CriConfig => ({
    ...structuredClone(DEFAULT_CONFIG as CriConfig),
    socket: path.join(dir, name, 'cri.sock'),
    logLevel: 'debug',
    ...extra,
  });

  async function serve(name: string, runtime: FakeRuntime, extra: Partial<CriConfig> = {}, images = new FakeImages()): Promise<CriServer> {
    const log = createLogger('debug', (l) => logs.push(`[${name}] ${l}`));
    const s = await startCriServer(config(name, extra), { runtime, images, log });
    servers.push(s);
    return s;
  }

  const ok = async (server: CriServer, args: string[]): Promise<string> => {
    const r = await crictl(server.address, args);
    assert.strictEqual(r.code, 0, `crictl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsvcs-'));
    fs.writeFileSync(path.join(dir, 'pod.json'), JSON.stringify(POD));
    fs.writeFileSync(path.join(dir, 'container.json'), JSON.stringify(CONTAINER));
  });

  after(async () => {
    for (const s of servers) await s.close(1000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(logs.join(''));
    logs.length = 0;
  });

  describe('alone (no upstream)', () => {
    let rt: FakeRuntime;
    let images: FakeImages;
    let server: CriServer;
    before(async () => {
      rt = new FakeRuntime(['gvisor']);
      images = new FakeImages();
      server = await serve('alone', rt, {}, images);
    });

    it('crictl version reports tsvisor', async () => {
      const version = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
      assert.strictEqual(await ok(server, ['version']), `Version:  0.1.0\nRuntimeName:  tsvisor\nRuntimeVersion:  ${version}\nRuntimeApiVersion:  v1\n`);
    });

    it('crictl info shows the conditions and the gvisor handler', async () => {
      const info = JSON.parse(await ok(server, ['info'])) as {
        status: { conditions: { type: string; status: boolean }[] };
        runtimeHandlers: { name: string; features: Record<string, boolean> }[];
      };
      assert.deepStrictEqual(info.status.conditions.map((c) => [c.type, c.status]), [['RuntimeReady', true], ['NetworkReady', true]]);
      // crictl prints only the features that are set: tsvisor gives recursive read-only mounts (read-only Gofers), no user namespaces.
      assert.deepStrictEqual(info.runtimeHandlers, [{ name: 'gvisor', features: { recursive_read_only_mounts: true } }]);
    });

    it('crictl runp --runtime gvisor reaches the runtime with every field crictl sent', async () => {
      const id = (await ok(server, ['runp', '--runtime', 'gvisor', path.join(dir, 'pod.json')])).trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      const req = lastCall(rt, 'runPodSandbox') as {
        runtime_handler: string;
        config: Record<string, unknown> & { linux: { cgroup_parent: string; sysctls: unknown; security_context: Record<string, unknown> } };
      };
      assert.strictEqual(req.runtime_handler, 'gvisor');
      const c = req.config;
      assert.deepStrictEqual(c.metadata, POD.metadata);
      assert.strictEqual(c.hostname, 'webhost');
      assert.strictEqual(c.log_directory, '/var/log/pods/web');
      assert.deepStrictEqual(c.labels, POD.labels);
      assert.deepStrictEqual(c.annotations, POD.annotations);
      assert.deepStrictEqual(c.dns_config, POD.dns_config);
      assert.deepStrictEqual(c.port_mappings, [{ protocol: Protocol.UDP, container_port: 53, host_port: 5353, host_ip: '127.0.0.1' }]);
      assert.strictEqual(c.linux.cgroup_parent, '/kubepods/pod1');
      assert.deepStrictEqual(c.linux.sysctls, POD.linux.sysctls);
      assert.strictEqual((c.linux.security_context.namespace_options as { network: number }).network, NamespaceMode.NODE);

      const pods = await ok(server, ['pods', '--no-trunc']);
      assert.match(pods, new RegExp(`^${id}\\s+.*Ready\\s+web\\s+default\\s+2\\s+gvisor\\s*$`, 'm'));
      assert.strictEqual((await ok(server, ['pods', '-q', '--label', 'app=web'])).trim(), id);
      assert.strictEqual((await ok(server, ['pods', '-q', '--label', 'app=other'])).trim(), '');
      const inspect = JSON.parse(await ok(server, ['inspectp', id.slice(0, 13)])) as { status: { id: string; runtimeHandler: string } };
      assert.strictEqual(inspect.status.id, id);
      assert.strictEqual(inspect.status.runtimeHandler, 'gvisor');
    });

    it('crictl create pulls the image and creates the container from container.json', async () => {
      const pod = (await ok(server, ['pods', '-q', '--name', 'web'])).trim();
      const id = (await ok(server, ['create', '--with-pull', pod, path.join(dir, 'container.json'), path.join(dir, 'pod.json')])).trim();
      assert.deepStrictEqual(
        images.calls.filter((c) => c.method === 'pullImage').map((c) => (c.req as { image: { image: string } }).image.image),
        ['reg.test/busybox:1.0'],
      );
      const req = lastCall(rt, 'createContainer') as {
        pod_sandbox_id: string;
        config: Record<string, unknown>;
        sandbox_config: { metadata: unknown };
      };
      assert.strictEqual(req.pod_sandbox_id, pod);
      assert.deepStrictEqual(req.config.metadata, CONTAINER.metadata);
      assert.deepStrictEqual(req.config.command, CONTAINER.command);
      assert.deepStrictEqual(req.config.args, CONTAINER.args);
      assert.deepStrictEqual(req.config.envs, CONTAINER.envs);
      assert.strictEqual(req.config.working_dir, '/work');
      assert.strictEqual(req.config.tty, true);
      assert.strictEqual(req.config.log_path, 'app/1.log');
      const [m] = req.config.mounts as { container_path: string; host_path: string; readonly: boolean; propagation: number }[];
      assert.deepStrictEqual([m.container_path, m.host_path, m.readonly, m.propagation], ['/data', '/srv/data', true, MountPropagation.PROPAGATION_HOST_TO_CONTAINER]);
      assert.deepStrictEqual(req.sandbox_config.metadata, POD.metadata);
      assert.match(await ok(server, ['ps', '-a', '--no-trunc']), new RegExp(`^${id}\\s+reg.test/busybox:1.0\\s+.*Created\\s+app\\s+1\\s+${pod}\\s+unknown\\s+unknown\\s*$`, 'm'));
      await ok(server, ['start', id]);
      assert.strictEqual((await ok(server, ['ps', '-q', '--state', 'running'])).trim(), id);
    });

    it('runp with the default handler and no upstream fails with a clear message', async () => {
      const r = await crictl(server.address, ['runp', path.join(dir, 'pod.json')]);
      assert.notStrictEqual(r.code, 0);
      assert.match(unquote(r.stderr), /code = InvalidArgument desc = runtime handler "" is not served by tsvisor \(handlers: gvisor\) and no --upstream is configured/);
    });

    it('unknown ids are NotFound', async () => {
      const r = await crictl(server.address, ['inspectp', 'deadbeef']);
      assert.notStrictEqual(r.code, 0);
      assert.match(unquote(r.stderr), /code = NotFound desc = pod sandbox "deadbeef" not found/);
      const c = await crictl(server.address, ['inspect', 'deadbeef']);
      assert.match(unquote(c.stderr), /code = NotFound desc = container "deadbeef" not found/);
    });

    it('concurrent runp of the same pod: exactly one succeeds, the other gets AlreadyExists', async () => {
      const file = path.join(dir, 'pod-race.json');
      fs.writeFileSync(file, JSON.stringify({ ...POD, metadata: { ...POD.metadata, name: 'race' } }));
      const results = await Promise.all([1, 2, 3].map(() => crictl(server.address, ['runp', '--runtime', 'gvisor', file])));
      assert.deepStrictEqual(results.map((r) => r.code).sort(), [0, 1, 1]);
      for (const r of results.filter((x) => x.code !== 0)) assert.match(unquote(r.stderr), /code = AlreadyExists desc = name "race_default_uid-1_2" is reserved for/);
    });

    it('oversized messages are refused with RESOURCE_EXHAUSTED; the server keeps serving', async () => {
      const client = new Upstream(server.address);
      // A client without grpc-js's own send limit, so the server's limit is what refuses.
      const unlimited = new grpc.Client(server.address, grpc.credentials.createInsecure());
      try {
        const big = encodeRequest('RunPodSandbox', {
          config: { ...defaults('PodSandboxConfig'), hostname: 'x'.repeat(17 * 1024 * 1024) },
          runtime_handler: 'gvisor',
        });
        const err = await new Promise<ServiceError | null>((resolve) =>
          unlimited.makeUnaryRequest(rpc('RunPodSandbox').path, (b: Buffer) => b, (b: Buffer) => b, big, (e) => resolve(e)),
        );
        assert.strictEqual(err?.code, grpcStatus.RESOURCE_EXHAUSTED, String(err));
        assert.strictEqual(rt.calls.filter((c) => c.method === 'runPodSandbox' && (c.req as { config: { hostname: string } }).config.hostname.length > 1000).length, 0);
        const v = decodeResponse('Version', await client.unary(rpc('Version').path, encodeRequest('Version', { version: '' })));
        assert.strictEqual(v.runtime_name, 'tsvisor');
        const bad = client.unary(rpc('RunPodSandbox').path, Buffer.from([0x0a, 0x7f]));
        await assert.rejects(bad, (e: unknown) => e instanceof CriError && e.code === grpcStatus.INVALID_ARGUMENT && /^malformed RunPodSandboxRequest/.test(e.message));
      } finally {
        client.close();
        unlimited.close();
      }
    });

    it('refuses a socket another server listens on, and a path that is not a socket', async () => {
      await assert.rejects(serve('alone', new FakeRuntime()), /another server is listening on .*alone\/cri\.sock/);
      fs.mkdirSync(path.join(dir, 'file'));
      fs.writeFileSync(path.join(dir, 'file', 'cri.sock'), 'x');
      await assert.rejects(serve('file', new FakeRuntime()), /file\/cri\.sock exists and is not a socket/);
      assert.strictEqual(fs.readFileSync(path.join(dir, 'file', 'cri.sock'), 'utf8'), 'x');
      assert.strictEqual((await ok(server, ['version'])).split('\n')[1], 'RuntimeName:  tsvisor');
    });

    it('replaces a stale socket nobody listens on, and creates its folder 0700', async () => {
      const stale = path.join(dir, 'stale', 'sub', 'cri.sock');
      fs.mkdirSync(path.dirname(stale), { recursive: true });
      // A socket file left by a dead process: bound, never listening.
      const py = spawnSync('/usr/bin/python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', stale]);
      assert.strictEqual(py.status, 0, py.stderr.toString());
      assert.ok(fs.statSync(stale).isSocket());
      const s = await serve('stale/sub', new FakeRuntime());
      assert.match(await ok(s, ['version']), /RuntimeName: {2}tsvisor/);
      await s.close();
      assert.ok(!fs.existsSync(stale), 'close() removes the socket');

      const fresh = path.join(dir, 'fresh', 'cri.sock');
      const s2 = await serve('fresh', new FakeRuntime());
      assert.strictEqual(fs.statSync(path.dirname(fresh)).mode & 0o777, 0o700);
      assert.strictEqual(fs.statSync(fresh).mode & 0o777, 0o600);
      await s2.close();
    });
  });

  describe('with an upstream (a second server)', () => {
    let ours: FakeRuntime;
    let theirs: FakeRuntime;
    let front: CriServer;
    let upstreamServer: CriServer;

    before(async () => {
      theirs = new FakeRuntime(['', 'runc']);
      upstreamServer = await serve('upstream', theirs);
      ours = new FakeRuntime(['gvisor']);
      front = await serve('front', ours, { upstream: upstreamServer.address });
    });

    it('default-handler pods go upstream, gvisor pods stay; crictl pods lists both', async () => {
      const up = (await ok(front, ['runp', path.join(dir, 'pod.json')])).trim();
      const mine = (await ok(front, ['runp', '--runtime', 'gvisor', path.join(dir, 'pod.json')])).trim();
      assert.ok(theirs.pods.has(up) && !ours.pods.has(up));
      assert.ok(ours.pods.has(mine) && !theirs.pods.has(mine));
      const listed = (await ok(front, ['pods', '-q', '--no-trunc'])).trim().split('\n').sort();
      assert.deepStrictEqual(listed, [up, mine].sort());
      const table = await ok(front, ['pods', '--no-trunc']);
      assert.match(table, new RegExp(`^${up}\\s+.*web\\s+default\\s+2\\s+\\(default\\)\\s*$`, 'm'));
      assert.match(table, new RegExp(`^${mine}\\s+.*web\\s+default\\s+2\\s+gvisor\\s*$`, 'm'));

      // Later calls find each pod's side by its id.
      assert.strictEqual((JSON.parse(await ok(front, ['inspectp', up])) as { status: { id: string } }).status.id, up);
      await ok(front, ['stopp', up]);
      await ok(front, ['rmp', up]);
      assert.ok(!theirs.pods.has(up));
      assert.ok(theirs.calls.some((c) => c.method === 'removePodSandbox'));
      assert.ok(!ours.calls.some((c) => c.method === 'removePodSandbox'));
      assert.strictEqual((await ok(front, ['pods', '-q', '--no-trunc'])).trim(), mine);
    });

    it('crictl info shows both sides: our handler, the upstream\'s handlers and info', async () => {
      theirs.networkReady = false;
      try {
        const info = JSON.parse(await ok(front, ['info'])) as {
          status: { conditions: { type: string; status: boolean; reason: string }[] };
          runtimeHandlers: { name?: string }[];
          fake: unknown;
          'upstream.fake': unknown;
        };
        // crictl's JSON leaves out the default handler's empty name.
        assert.deepStrictEqual(info.runtimeHandlers.map((h) => h.name ?? ''), ['gvisor', '', 'runc']);
        assert.deepStrictEqual(info.status.conditions.map((c) => [c.type, c.status, c.reason]), [
          ['RuntimeReady', true, ''],
          // The upstream is a tsvisor too: it marks its own failing condition.
          ['NetworkReady', false, 'upstream: tsvisor: FakeNotReady'],
        ]);
        assert.deepStrictEqual(info.fake, { local: true });
        assert.deepStrictEqual(info['upstream.fake'], { local: true });
      } finally {
        theirs.networkReady = true;
      }
    });

    it('an unreachable upstream is UNAVAILABLE, naming its address', async () => {
      const lonely = await serve('lonely', new FakeRuntime(['gvisor']), { upstream: `unix://${path.join(dir, 'nobody.sock')}` });
      const r = await crictl(lonely.address, ['runp', path.join(dir, 'pod.json')]);
      assert.match(r.stderr, /code = Unavailable desc = upstream runtime unix:\/\/.*nobody\.sock unavailable/);
      assert.match(await ok(lonely, ['version']), /RuntimeName: {2}tsvisor/);
    });

    it('GetContainerEvents streams events of both sides', async () => {
      const client = new Upstream(front.address);
      const events: ContainerEventResponse[] = [];
      const stream = client.stream(rpc('GetContainerEvents').path, encodeRequest('GetContainerEvents', {}));
      stream.on('data', (b: Buffer) => events.push(decodeResponse('GetContainerEvents', b)));
      const ended = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
      try {
        await new Promise((r) => setTimeout(r, 300)); // both streams open
        const upPod = (await ok(front, ['runp', '--runtime', 'runc', path.join(dir, 'pod.json')])).trim();
        const myPod = (await ok(front, ['pods', '-q', '--no-trunc', '--name', 'web'])).split('\n').find((id) => ours.pods.has(id))!;
        const upCtr = (await ok(front, ['create', upPod, path.join(dir, 'container.json'), path.join(dir, 'pod.json')])).trim();
        const myCtr = (await ok(front, ['create', myPod, path.join(dir, 'container.json'), path.join(dir, 'pod.json')])).trim();
        for (let i = 0; i < 50 && events.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
        assert.deepStrictEqual(
          events.map((e) => [e.container_id, e.container_event_type]).sort(),
          [
            [upCtr, ContainerEventType.CONTAINER_CREATED_EVENT],
            [myCtr, ContainerEventType.CONTAINER_CREATED_EVENT],
          ].sort(),
        );
      } finally {
        stream.cancel();
        assert.strictEqual((await ended).code, grpcStatus.CANCELLED);
        client.close();
      }
    });
  });

  describe('tsvisor cri process', () => {
    const main = path.join(REPO_ROOT, 'dist/cri/server/testing/fake-cri-main.js');

    it('serves until SIGTERM, then exits 0 and removes its socket', async () => {
      const socket = path.join(dir, 'proc', 'cri.sock');
      const child = spawn(process.execPath, [main, '--socket', socket], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      for (let i = 0; i < 100 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match((await crictl(`unix://${socket}`, ['version'])).stdout, /RuntimeName: {2}tsvisor/, stderr);
      child.kill('SIGTERM');
      assert.strictEqual(await exited, 0, stderr);
      assert.ok(!fs.existsSync(socket));
      assert.match(stderr, /INFO serving CRI v1 on unix:\/\/.*proc\/cri\.sock \(handlers: gvisor; upstream: none\)/);
      assert.match(stderr, /INFO SIGTERM: shutting down/);
    });

    it('bad flags and config exit 2 with the reason', async () => {
      const r = await run(process.execPath, [main, '--socket', 'relative.sock']);
      assert.strictEqual(r.code, 2);
      assert.strictEqual(r.stderr, "tsvisor cri: --socket: expected an absolute path, got \"relative.sock\" (see 'tsvisor cri --help')\n");
      const help = await run(process.execPath, [path.join(REPO_ROOT, 'bin/tsvisor.js'), 'cri', '--help']);
      assert.strictEqual(help.code, 0);
      assert.match(help.stdout, /^usage: tsvisor cri \[flags\]\n/);
      assert.match(help.stdout, /--upstream ENDPOINT/);
    });
  });
});
