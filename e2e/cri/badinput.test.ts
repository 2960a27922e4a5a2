/**
 * Issue 4, acceptance 4 (bad input): `tsvisor cri` answers requests that
 * are wrong with the gRPC status that says so and a message naming the
 * problem, never crashes, and leaves nothing behind. Requests crictl
 * cannot send go through a raw gRPC client built from our codec.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { decodeResponse, defaults, encodeRequest, rpc, type RpcName, type RpcRequest, type RpcResponse } from '../../cri/proto/codec';
import type * as t from '../../cri/proto/types';
import { CriError } from '../../cri/server/errors';
import { MAX_MESSAGE_BYTES, Upstream } from '../../cri/server/upstream';
import { freshDir } from '../syscalls/harness';
import { cniConflist, crictl, CriServer, mountsUnder, processesMentioning, PushedRegistry, run, startCriServer, withPushedImages } from './harness';

describe('tsvisor cri refuses bad input with the right status and keeps serving', function () {
  this.timeout(120_000);
  let reg: PushedRegistry;
  let cri: CriServer;
  let client: Upstream;
  let dir: string;
  let image: string;
  let n = 0;

  async function call<M extends RpcName>(m: M, req: RpcRequest<M>): Promise<RpcResponse<M>> {
    return decodeResponse(m, await client.unary(rpc(m).path, encodeRequest(m, req)));
  }

  /** The call fails with `code`, its message matching `message`. */
  async function refused<M extends RpcName>(m: M, req: RpcRequest<M>, code: status, message: RegExp): Promise<void> {
    await assert.rejects(call(m, req), (e: unknown) => {
      assert.ok(e instanceof CriError, String(e));
      assert.equal(status[e.code], status[code], e.message);
      assert.match(e.message, message);
      return true;
    });
  }

  async function ok(args: string[]): Promise<string> {
    const r = await crictl(cri, args);
    assert.equal(r.code, 0, `crictl ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  function podConfig(over: Partial<t.PodSandboxConfig> = {}): t.PodSandboxConfig {
    n++;
    return {
      ...defaults('PodSandboxConfig'),
      metadata: { name: `bad-${n}`, namespace: 'badinput', uid: `uid-${n}`, attempt: 0 },
      log_directory: path.join(dir, 'logs', String(n)),
      linux: defaults('LinuxPodSandboxConfig'),
      ...over,
    };
  }

  function containerConfig(name: string, over: Partial<t.ContainerConfig> = {}): t.ContainerConfig {
    return {
      ...defaults('ContainerConfig'),
      metadata: { name, attempt: 0 }, image: { ...defaults('ImageSpec'), image },
      command: ['/bin/sh', '-c', 'exec sleep 1000'], log_path: `${name}.log`, linux: defaults('LinuxContainerConfig'),
      ...over,
    };
  }

  async function runPod(config = podConfig()): Promise<{ id: string; config: t.PodSandboxConfig }> {
    const r = await call('RunPodSandbox', { config, runtime_handler: 'gvisor' });
    return { id: r.pod_sandbox_id, config };
  }

  async function createContainer(pod: { id: string; config: t.PodSandboxConfig }, config: t.ContainerConfig): Promise<string> {
    return (await call('CreateContainer', { pod_sandbox_id: pod.id, config, sandbox_config: pod.config })).container_id;
  }

  const podIds = async (): Promise<string[]> => (await call('ListPodSandbox', { filter: null })).items.map((p) => p.id);
  const imagesDir = (): string[] => fs.readdirSync(path.join(cri.root, 'images'), { recursive: true }).map(String).sort();

  before(async () => {
    dir = freshDir('badinput');
    const netDir = path.join(dir, 'net.d');
    fs.mkdirSync(netDir);
    const slot = process.pid % 200;
    fs.writeFileSync(path.join(netDir, '10-tsvisor.conflist'), cniConflist('tsvisor-badinput', `tsvbad${slot}`, `10.237.${slot}.0/24`, path.join(dir, 'ipam')));
    reg = await withPushedImages();
    cri = await startCriServer({ args: ['--cni-conf-dir', netDir, '--insecure-registries', reg.host] });
    client = new Upstream(cri.endpoint);
    image = reg.ref('tsvisor-test/busybox:1.0');
    await ok(['pull', image]);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`--- cri log ---\n${cri.log()}`);
    // The server is alive, and once the test's pods are removed nothing of them is left.
    assert.match(await ok(['version']), /RuntimeName: {2}tsvisor/);
    for (const id of await podIds()) await call('RemovePodSandbox', { pod_sandbox_id: id });
    assert.deepEqual(processesMentioning([cri.dir, cri.stateDir]).filter((p) => Number(p.split(' ')[0]) !== cri.pid), []);
    assert.deepEqual(mountsUnder(cri.stateDir), []);
    for (const sub of ['pods', 'containers']) assert.deepEqual(fs.readdirSync(path.join(cri.root, sub)), [], `${sub} left behind`);
  });

  after(async () => {
    client?.close();
    await cri?.stop();
    await reg?.stop();
    await run('ip', ['link', 'delete', `tsvbad${process.pid % 200}`]); // CNI leaves its bridge after the last pod
  });

  it('unknown and malformed ids are NOT_FOUND (empty ones INVALID_ARGUMENT); removals of unknown ids succeed', async () => {
    const unknown = 'f'.repeat(64);
    for (const id of [unknown, 'nope', '../../../etc/passwd', '/', 'a\u0000b', 'x'.repeat(5000)]) {
      await refused('PodSandboxStatus', { pod_sandbox_id: id, verbose: false }, status.NOT_FOUND, /^pod sandbox ".*" not found$/s);
      await refused('ContainerStatus', { container_id: id, verbose: false }, status.NOT_FOUND, /^container ".*" not found$/s);
      await refused('StartContainer', { container_id: id }, status.NOT_FOUND, /not found/);
      await refused('ExecSync', { container_id: id, cmd: ['true'], timeout: '0' }, status.NOT_FOUND, /not found/);
      await refused('CreateContainer', { pod_sandbox_id: id, config: containerConfig('c'), sandbox_config: podConfig() }, status.NOT_FOUND, /not found/);
      // CRI: stopping and removing what is already gone succeeds.
      await call('StopContainer', { container_id: id, timeout: '0' });
      await call('StopPodSandbox', { pod_sandbox_id: id });
      await call('RemovePodSandbox', { pod_sandbox_id: id });
      await call('RemoveContainer', { container_id: id });
    }
    await refused('PodSandboxStatus', { pod_sandbox_id: '', verbose: false }, status.INVALID_ARGUMENT, /^pod_sandbox_id is required$/);
    await refused('ContainerStatus', { container_id: '', verbose: false }, status.INVALID_ARGUMENT, /^container_id is required$/);
    const r = await crictl(cri, ['inspectp', unknown]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /NotFound/);
  });

  it('an id prefix matching two containers is refused as ambiguous; a unique prefix works', async () => {
    const pod = await runPod();
    // Containers until two share their first hex digit (at most 17).
    const byDigit = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const id = await createContainer(pod, containerConfig(`c${i}`));
      const other = byDigit.get(id[0]);
      if (other) pair = [other, id];
      byDigit.set(id[0], id);
    }
    const prefix = pair[0][0];
    await refused('ContainerStatus', { container_id: prefix, verbose: false }, status.INVALID_ARGUMENT, new RegExp(`^container id prefix "${prefix}" is ambiguous`));
    await refused('StartContainer', { container_id: prefix }, status.INVALID_ARGUMENT, /ambiguous/);
    // Removing by an ambiguous prefix must not remove either.
    await refused('RemoveContainer', { container_id: prefix }, status.INVALID_ARGUMENT, /ambiguous/);
    const left = (await call('ListContainers', { filter: null })).containers.map((c) => c.id);
    assert.ok(pair.every((id) => left.includes(id)));
    const st = await call('ContainerStatus', { container_id: pair[1].slice(0, 12), verbose: false });
    assert.equal(st.status?.id, pair[1]);
    // Pods too: a prefix of both pods' ids.
    const pod2 = await runPod();
    const common = pod.id.slice(0, [...pod.id].findIndex((ch, i) => ch !== pod2.id[i]));
    if (common !== '') await refused('PodSandboxStatus', { pod_sandbox_id: common, verbose: false }, status.INVALID_ARGUMENT, /ambiguous/);
  });

  it('log paths that leave the log directory are INVALID_ARGUMENT and create nothing', async () => {
    const pod = await runPod();
    for (const logPath of ['../x.log', '../../../../../../tmp/evil.log', '/etc/evil.log', 'a/../../x.log']) {
      await refused('CreateContainer', { pod_sandbox_id: pod.id, config: containerConfig('log', { log_path: logPath }), sandbox_config: pod.config },
        status.INVALID_ARGUMENT, /^log_path ".*" (must be relative to the pod's log directory|leaves the log directory)$/);
    }
    assert.ok(!fs.existsSync('/tmp/evil.log') && !fs.existsSync('/etc/evil.log'));
    assert.deepEqual(fs.readdirSync(path.join(cri.root, 'containers')), []);
    // The name was not taken by the failures.
    await createContainer(pod, containerConfig('log'));
  });

  it('mounts with a relative or ".." destination, or a missing source, are INVALID_ARGUMENT at create', async () => {
    const pod = await runPod();
    const src = path.join(dir, 'mount-src');
    fs.mkdirSync(src, { recursive: true });
    const mount = (over: Partial<t.Mount>): t.Mount => ({ ...defaults('Mount'), container_path: '/data', host_path: src, ...over });
    const cases: Array<[t.Mount, RegExp]> = [
      [mount({ container_path: '/data/../etc' }), /^mount destination "\/data\/\.\.\/etc" must be an absolute path without "\.\."$/],
      [mount({ container_path: 'data' }), /^mount destination "data" must be an absolute path/],
      [mount({ host_path: path.join(dir, 'missing') }), /^mount source ".*missing" does not exist$/],
      [mount({ host_path: '' }), /^mount source "" does not exist$/],
    ];
    for (const [m, re] of cases) {
      await refused('CreateContainer', { pod_sandbox_id: pod.id, config: containerConfig('m', { mounts: [m] }), sandbox_config: pod.config }, status.INVALID_ARGUMENT, re);
    }
    assert.deepEqual(fs.readdirSync(path.join(cri.root, 'containers')), []);
  });

  it('oversized messages are RESOURCE_EXHAUSTED and nothing is created', async () => {
    // A client without grpc-js's own send limit, so the server's limit is what refuses.
    const unlimited = new grpc.Client(cri.endpoint, grpc.credentials.createInsecure());
    try {
      const big = encodeRequest('RunPodSandbox', {
        config: podConfig({ annotations: { big: 'x'.repeat(MAX_MESSAGE_BYTES + 1024) } }), runtime_handler: 'gvisor',
      });
      const err = await new Promise<grpc.ServiceError | null>((resolve) =>
        unlimited.makeUnaryRequest(rpc('RunPodSandbox').path, (b: Buffer) => b, (b: Buffer) => b, big, (e) => resolve(e)),
      );
      assert.equal(err?.code, status.RESOURCE_EXHAUSTED, String(err));
    } finally {
      unlimited.close();
    }
    assert.deepEqual(await podIds(), []);
  });

  it('a second pod with the same metadata is ALREADY_EXISTS; after it is removed the name is free', async () => {
    const pod = await runPod();
    const m = pod.config.metadata!;
    await refused('RunPodSandbox', { config: pod.config, runtime_handler: 'gvisor' }, status.ALREADY_EXISTS,
      new RegExp(`^name "${m.name}_${m.namespace}_${m.uid}_0" is reserved for "${pod.id}"$`));
    assert.deepEqual(await podIds(), [pod.id]);
    await call('StopPodSandbox', { pod_sandbox_id: pod.id });
    await call('RemovePodSandbox', { pod_sandbox_id: pod.id });
    const again = await runPod(pod.config);
    assert.notEqual(again.id, pod.id);
  });

  it('a second container with the same name in a pod is ALREADY_EXISTS; the same name in another pod is fine', async () => {
    const pod = await runPod();
    const first = await createContainer(pod, containerConfig('dup'));
    await refused('CreateContainer', { pod_sandbox_id: pod.id, config: containerConfig('dup'), sandbox_config: pod.config }, status.ALREADY_EXISTS,
      new RegExp(`^name "dup_${pod.id}_0" is reserved for "${first}"$`));
    const other = await runPod();
    await createContainer(other, containerConfig('dup'));
    assert.equal((await call('ListContainers', { filter: null })).containers.length, 2);
  });

  it('concurrent RunPodSandbox for the same pod: exactly one succeeds, the others are ALREADY_EXISTS', async () => {
    const config = podConfig();
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => call('RunPodSandbox', { config, runtime_handler: 'gvisor' })));
    const won = results.filter((r): r is PromiseFulfilledResult<t.RunPodSandboxResponse> => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const r of results) {
      if (r.status === 'rejected') assert.ok(r.reason instanceof CriError && r.reason.code === status.ALREADY_EXISTS, String(r.reason));
    }
    assert.deepEqual(await podIds(), [won[0].value.pod_sandbox_id]);
    assert.equal(await podState(won[0].value.pod_sandbox_id), 'ready');
  });

  it('concurrent StartContainer: one starts it, the others are FAILED_PRECONDITION, and it runs on', async () => {
    const pod = await runPod();
    const c = await createContainer(pod, containerConfig('race'));
    const results = await Promise.allSettled([1, 2, 3].map(() => call('StartContainer', { container_id: c })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) {
      if (r.status === 'rejected') assert.ok(r.reason instanceof CriError && r.reason.code === status.FAILED_PRECONDITION, String(r.reason));
    }
    const st = (await call('ContainerStatus', { container_id: c, verbose: false })).status;
    assert.equal(st?.state, 1 /* RUNNING */, `${st?.reason}: ${st?.message}`);
    const r = await call('ExecSync', { container_id: c, cmd: ['/bin/echo', 'ok'], timeout: '10' });
    assert.equal(Buffer.from(r.stdout).toString(), 'ok\n');
  });

  it('concurrent StopPodSandbox and RemovePodSandbox of one pod all succeed and leave nothing', async () => {
    const pod = await runPod();
    await call('StartContainer', { container_id: await createContainer(pod, containerConfig('busy')) });
    const results = await Promise.allSettled([
      call('StopPodSandbox', { pod_sandbox_id: pod.id }),
      call('StopPodSandbox', { pod_sandbox_id: pod.id }),
      call('RemovePodSandbox', { pod_sandbox_id: pod.id }),
      call('RemovePodSandbox', { pod_sandbox_id: pod.id }),
    ]);
    assert.deepEqual(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), []);
    assert.deepEqual(await podIds(), []);
  });

  async function podState(id: string): Promise<string> {
    const st = (await call('PodSandboxStatus', { pod_sandbox_id: id, verbose: false })).status;
    return st?.state === 0 ? 'ready' : 'notready';
  }

  it('CreateContainer in a stopped pod is FAILED_PRECONDITION; StartContainer twice is FAILED_PRECONDITION and the container runs on', async () => {
    const pod = await runPod();
    const c = await createContainer(pod, containerConfig('once'));
    await call('StartContainer', { container_id: c });
    await refused('StartContainer', { container_id: c }, status.FAILED_PRECONDITION, new RegExp(`^container ${c} is running, not created$`));
    const r = await call('ExecSync', { container_id: c, cmd: ['/bin/echo', 'still here'], timeout: '10' });
    assert.equal(Buffer.from(r.stdout).toString(), 'still here\n');
    assert.equal((await call('ContainerStatus', { container_id: c, verbose: false })).status?.state, 1 /* RUNNING */);
    await call('StopPodSandbox', { pod_sandbox_id: pod.id });
    await refused('CreateContainer', { pod_sandbox_id: pod.id, config: containerConfig('late'), sandbox_config: pod.config }, status.FAILED_PRECONDITION,
      new RegExp(`^pod sandbox ${pod.id} is not ready$`));
    await refused('StartContainer', { container_id: c }, status.FAILED_PRECONDITION, /is exited, not created/);
    await refused('ExecSync', { container_id: c, cmd: ['true'], timeout: '0' }, status.FAILED_PRECONDITION, /is not running/);
  });

  it('bad image references: create is NOT_FOUND, pull is a clear error; a missing image or tag leaves nothing in the store', async () => {
    const pod = await runPod();
    for (const ref of ['Not A Ref!!', '../../etc', `${reg.host}/tsvisor-test/busybox:nope`, '']) {
      await refused('CreateContainer', { pod_sandbox_id: pod.id, config: containerConfig('img', { image: { ...defaults('ImageSpec'), image: ref } }), sandbox_config: pod.config },
        status.NOT_FOUND, /^image ".*" not found$/);
    }
    const before = imagesDir();
    const pull = (ref: string) => call('PullImage', { image: { ...defaults('ImageSpec'), image: ref }, auth: null, sandbox_config: null });
    await assert.rejects(pull('Not A Ref!!'), (e: unknown) => e instanceof CriError && /^pulling Not A Ref!!: .*invalid/i.test(e.message));
    await assert.rejects(pull(`${reg.host}/tsvisor-test/busybox:nope`), (e: unknown) => e instanceof CriError && /404.*manifest unknown/i.test(e.message));
    await assert.rejects(pull(`${reg.host}/tsvisor-test/nothing-here:1.0`), (e: unknown) => e instanceof CriError && /404/.test(e.message));
    await refused('PullImage', { image: { ...defaults('ImageSpec'), image: '' }, auth: null, sandbox_config: null }, status.INVALID_ARGUMENT, /^image reference is required$/);
    assert.deepEqual(imagesDir(), before);
    const r = await crictl(cri, ['pull', `${reg.host}/tsvisor-test/busybox:nope`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /manifest unknown/);
  });

  it('a runtime handler that is not ours is INVALID_ARGUMENT (no upstream); nothing is created', async () => {
    for (const handler of ['', 'runc', 'gvisor ', '../gvisor', 'gvisor;rm -rf /', '\u0000']) {
      await refused('RunPodSandbox', { config: podConfig(), runtime_handler: handler }, status.INVALID_ARGUMENT,
        /^runtime handler ".*" is not served by tsvisor \(handlers: gvisor\) and no --upstream is configured$/s);
    }
    assert.deepEqual(await podIds(), []);
  });

  it('invalid hostnames are INVALID_ARGUMENT; nothing is created and the pod name stays free', async () => {
    const config = podConfig();
    for (const hostname of ['-lead', 'trail-', 'has space', 'under_score', 'x'.repeat(65), '../etc', 'a\nb']) {
      await refused('RunPodSandbox', { config: { ...config, hostname }, runtime_handler: 'gvisor' }, status.INVALID_ARGUMENT, /^hostname ".*" is not valid$/s);
    }
    assert.deepEqual(await podIds(), []);
    const pod = await runPod({ ...config, hostname: 'fine-name' });
    assert.equal(await podState(pod.id), 'ready');
  });

  it('malformed requests are INVALID_ARGUMENT', async () => {
    await assert.rejects(client.unary(rpc('RunPodSandbox').path, Buffer.from([0x0a, 0x7f])),
      (e: unknown) => e instanceof CriError && e.code === status.INVALID_ARGUMENT && /^malformed RunPodSandboxRequest/.test(e.message));
    await refused('RunPodSandbox', { config: null, runtime_handler: 'gvisor' }, status.INVALID_ARGUMENT, /^pod sandbox config with metadata is required$/);
    await refused('RunPodSandbox', { config: podConfig({ metadata: { name: 'x', namespace: '', uid: 'u', attempt: 0 } }), runtime_handler: 'gvisor' },
      status.INVALID_ARGUMENT, /needs name, namespace and uid/);
    const pod = await runPod();
    await refused('CreateContainer', { pod_sandbox_id: pod.id, config: null, sandbox_config: pod.config }, status.INVALID_ARGUMENT, /metadata\.name is required/);
    await refused('StopContainer', { container_id: await createContainer(pod, containerConfig('t')), timeout: '-5' }, status.INVALID_ARGUMENT, /^bad timeout -5$/);
  });
});
