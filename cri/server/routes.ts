/**
 * One handler per CRI RPC: where each call goes (tsvisor or the upstream
 * runtime) and how answers from both sides combine.
 *
 * - RunPodSandbox goes by runtime handler: ours run locally, any other
 *   (including the default "") upstream, or fails when there is none.
 * - Calls naming a pod or container go where it lives: local if the runtime
 *   owns the id, else upstream; without an upstream the runtime answers
 *   (NOT_FOUND, or success for the idempotent removals).
 * - List*, Status, UpdateRuntimeConfig and metrics ask both sides and merge.
 * - Images: an ImageSpec naming a handler goes to that side. Without one
 *   (kubelet's usual call) the image must be usable by a pod of either side,
 *   so pulls and removals go to both stores and ImageStatus reports an image
 *   only when both have it (kubelet then pulls whatever is missing).
 */
import type { Deadline } from '@grpc/grpc-js';
import {
  decodeRequest,
  decodeResponse,
  encodeResponse,
  rpc,
  type RpcName,
  type RpcRequest,
  type RpcResponse,
} from '../proto/codec';
import { CgroupDriver, type ImageSpec } from '../proto/types';
import type { LocalImages, LocalRuntime } from './backend';
import { invalidArgument } from './errors';
import { mergeDescriptors, mergeImages, mergeStatus } from './merge';
import type { UpstreamApi } from './upstream';

export interface RouteDeps {
  readonly runtime: LocalRuntime;
  readonly images: LocalImages;
  readonly upstream: UpstreamApi | null;
  /** tsvisor's version, for VersionResponse.runtime_version. */
  readonly version: string;
}

export interface CallContext {
  readonly deadline?: Deadline;
}

/** Request bytes in, response bytes out. */
export type UnaryHandler = (raw: Buffer, ctx: CallContext) => Promise<Buffer>;

/** The CRI API version kubelet's clients expect in VersionResponse.version. */
const KUBE_API_VERSION = '0.1.0';

type UnaryRpc = Exclude<RpcName, 'GetContainerEvents'>;

export function unaryHandlers(d: RouteDeps): Record<UnaryRpc, UnaryHandler> {
  const { runtime: rt, images, upstream } = d;
  const ours = (handler: string) => rt.handlers.includes(handler);

  const forward = (m: RpcName, raw: Buffer, ctx: CallContext): Promise<Buffer> => {
    if (!upstream) throw new Error(`${m}: no upstream configured`);
    return upstream.unary(rpc(m).path, raw, ctx.deadline);
  };
  /** Upstream's decoded answer, or null without an upstream. */
  const ask = async <M extends RpcName>(m: M, raw: Buffer, ctx: CallContext): Promise<RpcResponse<M> | null> =>
    upstream ? decodeResponse(m, await forward(m, raw, ctx)) : null;

  const decode = <M extends RpcName>(m: M, raw: Buffer): RpcRequest<M> => {
    try {
      return decodeRequest(m, raw);
    } catch (e) {
      throw invalidArgument(`malformed ${rpc(m).requestType}: ${(e as Error).message}`);
    }
  };

  /** Local when `isLocal` says so or there is no upstream; else the upstream gets the original bytes. */
  const routed =
    <M extends UnaryRpc>(m: M, isLocal: (req: RpcRequest<M>) => boolean, run: (req: RpcRequest<M>) => Promise<RpcResponse<M>>): UnaryHandler =>
    async (raw, ctx) => {
      const req = decode(m, raw);
      if (isLocal(req) || !upstream) return encodeResponse(m, await run(req));
      return forward(m, raw, ctx);
    };

  const required = (field: string, value: string): string => {
    if (value === '') throw invalidArgument(`${field} is required`);
    return value;
  };
  const byPod = <M extends UnaryRpc>(m: M, id: (req: RpcRequest<M>) => string, run: (req: RpcRequest<M>) => Promise<RpcResponse<M>>) =>
    routed(m, (req) => rt.ownsPod(required('pod_sandbox_id', id(req))), run);
  const byContainer = <M extends UnaryRpc>(m: M, id: (req: RpcRequest<M>) => string, run: (req: RpcRequest<M>) => Promise<RpcResponse<M>>) =>
    routed(m, (req) => rt.ownsContainer(required('container_id', id(req))), run);

  /** Both sides answer; `merge` combines the local answer with the upstream's (null without one). */
  const both =
    <M extends UnaryRpc>(
      m: M,
      local: (req: RpcRequest<M>) => Promise<RpcResponse<M>>,
      merge: (mine: RpcResponse<M>, theirs: RpcResponse<M> | null) => RpcResponse<M>,
    ): UnaryHandler =>
    async (raw, ctx) => {
      const req = decode(m, raw);
      const [mine, theirs] = await Promise.all([local(req), ask(m, raw, ctx)]);
      return encodeResponse(m, merge(mine, theirs));
    };

  /** Which image store(s) an ImageSpec is for. */
  const imageSides = (spec: ImageSpec | null): { local: boolean; upstream: boolean } => {
    const handler = spec?.runtime_handler ?? '';
    if (ours(handler)) return { local: true, upstream: false };
    if (handler !== '' && !upstream) throw invalidArgument(`runtime handler "${handler}" is not served by tsvisor and no --upstream is configured`);
    if (handler !== '') return { local: false, upstream: true };
    return { local: true, upstream: upstream !== null };
  };

  return {
    Version: async (raw) => {
      decode('Version', raw);
      return encodeResponse('Version', {
        version: KUBE_API_VERSION,
        runtime_name: 'tsvisor',
        runtime_version: d.version,
        runtime_api_version: 'v1',
      });
    },
    RuntimeConfig: async (raw) => {
      decode('RuntimeConfig', raw);
      // Pods' cgroups are plain cgroupfs paths under the parent kubelet passes.
      return encodeResponse('RuntimeConfig', { linux: { cgroup_driver: CgroupDriver.CGROUPFS } });
    },
    Status: both('Status', (req) => rt.status(req), (mine, theirs) => mergeStatus(rt.handlers, mine, theirs)),
    UpdateRuntimeConfig: both('UpdateRuntimeConfig', (req) => rt.updateRuntimeConfig(req), (mine) => mine),

    RunPodSandbox: async (raw, ctx) => {
      const req = decode('RunPodSandbox', raw);
      if (ours(req.runtime_handler)) return encodeResponse('RunPodSandbox', await rt.runPodSandbox(req));
      if (!upstream) {
        throw invalidArgument(
          `runtime handler "${req.runtime_handler}" is not served by tsvisor (handlers: ${rt.handlers.join(', ')}) and no --upstream is configured`,
        );
      }
      return forward('RunPodSandbox', raw, ctx);
    },
    StopPodSandbox: byPod('StopPodSandbox', (r) => r.pod_sandbox_id, (r) => rt.stopPodSandbox(r)),
    RemovePodSandbox: byPod('RemovePodSandbox', (r) => r.pod_sandbox_id, (r) => rt.removePodSandbox(r)),
    PodSandboxStatus: byPod('PodSandboxStatus', (r) => r.pod_sandbox_id, (r) => rt.podSandboxStatus(r)),
    PodSandboxStats: byPod('PodSandboxStats', (r) => r.pod_sandbox_id, (r) => rt.podSandboxStats(r)),
    PortForward: byPod('PortForward', (r) => r.pod_sandbox_id, (r) => rt.portForward(r)),
    UpdatePodSandboxResources: byPod('UpdatePodSandboxResources', (r) => r.pod_sandbox_id, (r) => rt.updatePodSandboxResources(r)),
    CreateContainer: byPod('CreateContainer', (r) => r.pod_sandbox_id, (r) => rt.createContainer(r)),

    StartContainer: byContainer('StartContainer', (r) => r.container_id, (r) => rt.startContainer(r)),
    StopContainer: byContainer('StopContainer', (r) => r.container_id, (r) => rt.stopContainer(r)),
    RemoveContainer: byContainer('RemoveContainer', (r) => r.container_id, (r) => rt.removeContainer(r)),
    ContainerStatus: byContainer('ContainerStatus', (r) => r.container_id, (r) => rt.containerStatus(r)),
    UpdateContainerResources: byContainer('UpdateContainerResources', (r) => r.container_id, (r) => rt.updateContainerResources(r)),
    ReopenContainerLog: byContainer('ReopenContainerLog', (r) => r.container_id, (r) => rt.reopenContainerLog(r)),
    ExecSync: byContainer('ExecSync', (r) => r.container_id, (r) => rt.execSync(r)),
    Exec: byContainer('Exec', (r) => r.container_id, (r) => rt.exec(r)),
    Attach: byContainer('Attach', (r) => r.container_id, (r) => rt.attach(r)),
    ContainerStats: byContainer('ContainerStats', (r) => r.container_id, (r) => rt.containerStats(r)),
    CheckpointContainer: byContainer('CheckpointContainer', (r) => r.container_id, (r) => rt.checkpointContainer(r)),

    ListPodSandbox: both('ListPodSandbox', (r) => rt.listPodSandbox(r), (a, b) => ({ items: [...a.items, ...(b?.items ?? [])] })),
    ListContainers: both('ListContainers', (r) => rt.listContainers(r), (a, b) => ({
      containers: [...a.containers, ...(b?.containers ?? [])],
    })),
    ListContainerStats: both('ListContainerStats', (r) => rt.listContainerStats(r), (a, b) => ({ stats: [...a.stats, ...(b?.stats ?? [])] })),
    ListPodSandboxStats: both('ListPodSandboxStats', (r) => rt.listPodSandboxStats(r), (a, b) => ({ stats: [...a.stats, ...(b?.stats ?? [])] })),
    ListPodSandboxMetrics: both('ListPodSandboxMetrics', (r) => rt.listPodSandboxMetrics(r), (a, b) => ({
      pod_metrics: [...a.pod_metrics, ...(b?.pod_metrics ?? [])],
    })),
    ListMetricDescriptors: both('ListMetricDescriptors', (r) => rt.listMetricDescriptors(r), (a, b) => ({
      descriptors: mergeDescriptors(a.descriptors, b?.descriptors ?? []),
    })),

    ListImages: both('ListImages', (r) => images.listImages(r), (a, b) => ({ images: mergeImages(a.images, b?.images ?? []) })),
    ImageFsInfo: both('ImageFsInfo', (r) => images.imageFsInfo(r), (a, b) => ({
      image_filesystems: [...a.image_filesystems, ...(b?.image_filesystems ?? [])],
      container_filesystems: [...a.container_filesystems, ...(b?.container_filesystems ?? [])],
    })),
    PullImage: async (raw, ctx) => {
      const req = decode('PullImage', raw);
      const sides = imageSides(req.image);
      if (!sides.local) return forward('PullImage', raw, ctx);
      // The local store's reference is the answer; the upstream must succeed too.
      const [mine] = await Promise.all([images.pullImage(req), sides.upstream ? forward('PullImage', raw, ctx) : null]);
      return encodeResponse('PullImage', mine);
    },
    RemoveImage: async (raw, ctx) => {
      const req = decode('RemoveImage', raw);
      const sides = imageSides(req.image);
      if (!sides.local) return forward('RemoveImage', raw, ctx);
      await Promise.all([images.removeImage(req), sides.upstream ? forward('RemoveImage', raw, ctx) : null]);
      return encodeResponse('RemoveImage', {});
    },
    ImageStatus: async (raw, ctx) => {
      const req = decode('ImageStatus', raw);
      const sides = imageSides(req.image);
      if (!sides.local) return forward('ImageStatus', raw, ctx);
      const mine = await images.imageStatus(req);
      if (!sides.upstream || mine.image === null) return encodeResponse('ImageStatus', mine);
      const theirs = await ask('ImageStatus', raw, ctx);
      return encodeResponse('ImageStatus', theirs?.image ? mine : { image: null, info: {} });
    },
  };
}
