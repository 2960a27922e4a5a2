import * as assert from 'assert';
import { status as grpcStatus, type ClientReadableStream } from '@grpc/grpc-js';
import { decodeResponse, defaults, encodeRequest, encodeResponse, type RpcName, type RpcResponse } from '../proto/codec';
import { ContainerState, PodSandboxState } from '../proto/types';
import { CriError } from './errors';
import { FakeImages, FakeRuntime } from './fake-runtime';
import { unaryHandlers, type UnaryHandler } from './routes';
import type { UpstreamApi } from './upstream';

/** An upstream that records what it was sent and answers from a table. */
class RecordingUpstream implements UpstreamApi {
  readonly address = 'unix:///fake/upstream.sock';
  readonly sent: { path: string; raw: Buffer }[] = [];
  private readonly answers = new Map<string, Buffer | CriError>();

  answer<M extends RpcName>(m: M, res: RpcResponse<M> | CriError): void {
    this.answers.set(m, res instanceof CriError ? res : encodeResponse(m, res));
  }

  async unary(path: string, raw: Buffer): Promise<Buffer> {
    this.sent.push({ path, raw });
    const a = this.answers.get(path.slice(path.lastIndexOf('/') + 1));
    if (a === undefined) throw new CriError(grpcStatus.UNIMPLEMENTED, `recording upstream: no answer for ${path}`);
    if (a instanceof CriError) throw a;
    return a;
  }

  stream(): ClientReadableStream<Buffer> {
    throw new Error('not used');
  }

  close(): void {}
}

const podConfig = (name: string) => ({
  ...defaults('PodSandboxConfig'),
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, attempt: 0 },
  labels: { app: name },
});

const rejectsWith = (p: Promise<unknown>, code: grpcStatus, message: RegExp) =>
  assert.rejects(p, (e: unknown) => e instanceof CriError && e.code === code && message.test(e.message));

describe('cri/server/routes', () => {
  let rt: FakeRuntime;
  let images: FakeImages;
  let up: RecordingUpstream;
  let h: Record<string, UnaryHandler>;
  let local: Record<string, UnaryHandler>; // the same runtime, no upstream

  beforeEach(() => {
    rt = new FakeRuntime(['gvisor']);
    images = new FakeImages();
    up = new RecordingUpstream();
    h = unaryHandlers({ runtime: rt, images, upstream: up, version: '9.9.9' });
    local = unaryHandlers({ runtime: rt, images, upstream: null, version: '9.9.9' });
  });

  const call = async <M extends RpcName>(handlers: Record<string, UnaryHandler>, m: M, raw: Buffer) => decodeResponse(m, await handlers[m](raw, {}));

  it('Version and RuntimeConfig are answered by tsvisor', async () => {
    assert.deepStrictEqual(await call(h, 'Version', encodeRequest('Version', { version: 'v1' })), {
      version: '0.1.0',
      runtime_name: 'tsvisor',
      runtime_version: '9.9.9',
      runtime_api_version: 'v1',
    });
    assert.deepStrictEqual(await call(h, 'RuntimeConfig', Buffer.alloc(0)), { linux: { cgroup_driver: 1 } });
    assert.strictEqual(up.sent.length, 0);
  });

  it('RunPodSandbox: our handlers run locally, any other goes upstream byte for byte', async () => {
    const ours = encodeRequest('RunPodSandbox', { config: podConfig('a'), runtime_handler: 'gvisor' });
    const { pod_sandbox_id } = await call(h, 'RunPodSandbox', ours);
    assert.ok(rt.pods.has(pod_sandbox_id));
    assert.strictEqual(up.sent.length, 0);

    up.answer('RunPodSandbox', { pod_sandbox_id: 'upstream-pod' });
    // An unknown field (number 99) must survive the trip: the upstream gets the original bytes.
    const theirs = Buffer.concat([encodeRequest('RunPodSandbox', { config: podConfig('b'), runtime_handler: '' }), Buffer.from([0x98, 0x06, 0x01])]);
    assert.deepStrictEqual(await call(h, 'RunPodSandbox', theirs), { pod_sandbox_id: 'upstream-pod' });
    assert.deepStrictEqual(up.sent, [{ path: '/runtime.v1.RuntimeService/RunPodSandbox', raw: theirs }]);
    assert.strictEqual(rt.pods.size, 1);
  });

  it('RunPodSandbox for a handler not ours and no upstream is INVALID_ARGUMENT, naming the handler', async () => {
    await rejectsWith(
      local.RunPodSandbox(encodeRequest('RunPodSandbox', { config: podConfig('a'), runtime_handler: '' }), {}),
      grpcStatus.INVALID_ARGUMENT,
      /^runtime handler "" is not served by tsvisor \(handlers: gvisor\) and no --upstream is configured$/,
    );
    await rejectsWith(
      local.RunPodSandbox(encodeRequest('RunPodSandbox', { config: podConfig('a'), runtime_handler: 'runc' }), {}),
      grpcStatus.INVALID_ARGUMENT,
      /runtime handler "runc" is not served/,
    );
    assert.strictEqual(rt.pods.size, 0);
  });

  it('calls naming a pod or container go where it lives; unknown ids go upstream', async () => {
    const { pod_sandbox_id: pod } = await call(h, 'RunPodSandbox', encodeRequest('RunPodSandbox', { config: podConfig('a'), runtime_handler: 'gvisor' }));
    const create = encodeRequest('CreateContainer', {
      pod_sandbox_id: pod.slice(0, 12), // a unique prefix is enough
      config: { ...defaults('ContainerConfig'), metadata: { name: 'c', attempt: 0 } },
      sandbox_config: podConfig('a'),
    });
    const { container_id: ctr } = await call(h, 'CreateContainer', create);
    await call(h, 'StartContainer', encodeRequest('StartContainer', { container_id: ctr }));
    const st = await call(h, 'ContainerStatus', encodeRequest('ContainerStatus', { container_id: ctr, verbose: false }));
    assert.strictEqual(st.status?.state, ContainerState.CONTAINER_RUNNING);
    const ps = await call(h, 'PodSandboxStatus', encodeRequest('PodSandboxStatus', { pod_sandbox_id: pod, verbose: false }));
    assert.strictEqual(ps.status?.id, pod);
    assert.strictEqual(up.sent.length, 0);

    up.answer('StopContainer', {});
    up.answer('PodSandboxStatus', new CriError(grpcStatus.NOT_FOUND, 'an error occurred when try to find sandbox "zzz": not found'));
    const stop = encodeRequest('StopContainer', { container_id: 'feedface', timeout: '10' });
    await call(h, 'StopContainer', stop);
    await rejectsWith(h.PodSandboxStatus(encodeRequest('PodSandboxStatus', { pod_sandbox_id: 'zzz', verbose: false }), {}), grpcStatus.NOT_FOUND, /try to find sandbox "zzz"/);
    assert.deepStrictEqual(
      up.sent.map((s) => s.path),
      ['/runtime.v1.RuntimeService/StopContainer', '/runtime.v1.RuntimeService/PodSandboxStatus'],
    );
    assert.deepStrictEqual(up.sent[0].raw, stop);
  });

  it('without upstream, unknown ids reach the local runtime (NOT_FOUND), and empty ids are INVALID_ARGUMENT', async () => {
    await rejectsWith(local.PodSandboxStatus(encodeRequest('PodSandboxStatus', { pod_sandbox_id: 'nope', verbose: false }), {}), grpcStatus.NOT_FOUND, /pod sandbox "nope" not found/);
    await rejectsWith(local.StartContainer(encodeRequest('StartContainer', { container_id: 'nope' }), {}), grpcStatus.NOT_FOUND, /container "nope" not found/);
    await rejectsWith(h.StopPodSandbox(encodeRequest('StopPodSandbox', { pod_sandbox_id: '' }), {}), grpcStatus.INVALID_ARGUMENT, /^pod_sandbox_id is required$/);
    await rejectsWith(h.ExecSync(encodeRequest('ExecSync', { container_id: '', cmd: ['true'], timeout: '1' }), {}), grpcStatus.INVALID_ARGUMENT, /^container_id is required$/);
    assert.strictEqual(up.sent.length, 0);
  });

  it('malformed request bytes are INVALID_ARGUMENT', async () => {
    await rejectsWith(h.RunPodSandbox(Buffer.from([0x0a, 0x7f, 0x01]), {}), grpcStatus.INVALID_ARGUMENT, /^malformed RunPodSandboxRequest: /);
  });

  it('List calls merge both sides, and the upstream gets the same filter', async () => {
    await call(h, 'RunPodSandbox', encodeRequest('RunPodSandbox', { config: podConfig('a'), runtime_handler: 'gvisor' }));
    await call(h, 'RunPodSandbox', encodeRequest('RunPodSandbox', { config: podConfig('b'), runtime_handler: 'gvisor' }));
    up.answer('ListPodSandbox', { items: [{ ...defaults('PodSandbox'), id: 'up1', runtime_handler: '', labels: { app: 'a' } }] });
    const list = encodeRequest('ListPodSandbox', { filter: { ...defaults('PodSandboxFilter'), label_selector: { app: 'a' } } });
    const { items } = await call(h, 'ListPodSandbox', list);
    assert.deepStrictEqual(items.map((p) => [p.metadata?.name ?? null, p.runtime_handler]), [['a', 'gvisor'], [null, '']]);
    assert.deepStrictEqual(up.sent, [{ path: '/runtime.v1.RuntimeService/ListPodSandbox', raw: list }]);
    assert.strictEqual(items[0].state, PodSandboxState.SANDBOX_READY);

    up.answer('ListContainers', new CriError(grpcStatus.UNAVAILABLE, 'upstream runtime unix:///fake/upstream.sock unavailable: connect ENOENT'));
    await rejectsWith(h.ListContainers(encodeRequest('ListContainers', { filter: null }), {}), grpcStatus.UNAVAILABLE, /upstream\.sock unavailable/);
  });

  it('Status merges conditions and lists both sides\' handlers; UpdateRuntimeConfig reaches both', async () => {
    up.answer('Status', {
      ...defaults('StatusResponse'),
      status: { conditions: [{ type: 'RuntimeReady', status: true, reason: '', message: '' }, { type: 'NetworkReady', status: true, reason: '', message: '' }] },
      runtime_handlers: [{ name: 'runc', features: null }],
    });
    rt.networkReady = false;
    const s = await call(h, 'Status', encodeRequest('Status', { verbose: false }));
    assert.deepStrictEqual(s.status?.conditions.map((c) => [c.type, c.status, c.reason]), [['RuntimeReady', true, ''], ['NetworkReady', false, 'tsvisor: FakeNotReady']]);
    assert.deepStrictEqual(s.runtime_handlers.map((r) => r.name), ['gvisor', 'runc']);

    up.answer('UpdateRuntimeConfig', {});
    const cfg = encodeRequest('UpdateRuntimeConfig', { runtime_config: { network_config: { pod_cidr: '10.1.0.0/16' } } });
    await call(h, 'UpdateRuntimeConfig', cfg);
    assert.deepStrictEqual(rt.calls.at(-1), { method: 'updateRuntimeConfig', req: { runtime_config: { network_config: { pod_cidr: '10.1.0.0/16' } } } });
    assert.deepStrictEqual(up.sent.at(-1), { path: '/runtime.v1.RuntimeService/UpdateRuntimeConfig', raw: cfg });
  });

  it('images: pulls go to both stores unless the spec names a handler; status only when both have it', async () => {
    const spec = (image: string, handler = '') => ({ ...defaults('ImageSpec'), image, runtime_handler: handler });
    up.answer('PullImage', { image_ref: 'sha256:upstream' });
    const pull = encodeRequest('PullImage', { image: spec('reg/busybox:1'), auth: null, sandbox_config: null });
    const { image_ref } = await call(h, 'PullImage', pull);
    assert.match(image_ref, /^sha256:[0-9a-f]{64}$/, 'the local store answers');
    assert.deepStrictEqual(up.sent, [{ path: '/runtime.v1.ImageService/PullImage', raw: pull }]);

    await call(h, 'PullImage', encodeRequest('PullImage', { image: spec('reg/only-ours:1', 'gvisor'), auth: null, sandbox_config: null }));
    assert.strictEqual(up.sent.length, 1, 'a gvisor image is not pulled upstream');
    assert.ok(images.images.has('reg/only-ours:1'));

    up.answer('ImageStatus', { image: null, info: {} });
    const st = await call(h, 'ImageStatus', encodeRequest('ImageStatus', { image: spec('reg/busybox:1'), verbose: false }));
    assert.strictEqual(st.image, null, 'missing upstream: kubelet must pull');
    up.answer('ImageStatus', { image: { ...defaults('Image'), id: 'sha256:upstream' }, info: {} });
    const st2 = await call(h, 'ImageStatus', encodeRequest('ImageStatus', { image: spec('reg/busybox:1'), verbose: false }));
    assert.strictEqual(st2.image?.id, image_ref);
    const st3 = await call(local, 'ImageStatus', encodeRequest('ImageStatus', { image: spec('reg/only-ours:1', 'gvisor'), verbose: false }));
    assert.deepStrictEqual(st3.image?.repo_tags, ['reg/only-ours:1']);

    await rejectsWith(
      local.PullImage(encodeRequest('PullImage', { image: spec('x', 'runc'), auth: null, sandbox_config: null }), {}),
      grpcStatus.INVALID_ARGUMENT,
      /runtime handler "runc" is not served by tsvisor and no --upstream is configured/,
    );
    up.answer('ListImages', { images: [{ ...defaults('Image'), id: 'sha256:upstream', repo_tags: ['reg/other:1'] }] });
    const { images: all } = await call(h, 'ListImages', encodeRequest('ListImages', { filter: null }));
    assert.deepStrictEqual(all.map((i) => i.repo_tags[0]), ['reg/busybox:1', 'reg/only-ours:1', 'reg/other:1']);

    up.answer('RemoveImage', {});
    await call(h, 'RemoveImage', encodeRequest('RemoveImage', { image: spec('reg/busybox:1') }));
    assert.ok(!images.images.has('reg/busybox:1'));
    assert.strictEqual(up.sent.at(-1)?.path, '/runtime.v1.ImageService/RemoveImage');
  });
});
