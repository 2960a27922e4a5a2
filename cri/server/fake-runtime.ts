/**
 * Test doubles of LocalRuntime and LocalImages: in-memory pods, containers and
 * images with real filters and name reservation, and a record of every call,
 * so server tests can check routing and what a real client sent. Not used by
 * `tsvisor cri` itself.
 */
import { createHash, randomBytes } from 'crypto';
import { defaults } from '../proto/codec';
import * as t from '../proto/types';
import type { LocalImages, LocalRuntime } from './backend';
import { invalidArgument, notFound, unimplemented } from './errors';
import { NameIndex, containerName, podName } from './names';

export interface RecordedCall {
  readonly method: string;
  readonly req: unknown;
}

interface FakePod {
  readonly id: string;
  readonly config: t.PodSandboxConfig;
  readonly handler: string;
  readonly createdAt: string;
  state: t.PodSandboxState;
}

interface FakeContainer {
  readonly id: string;
  readonly podId: string;
  readonly config: t.ContainerConfig;
  readonly createdAt: string;
  state: t.ContainerState;
}

const nowNs = (): string => (BigInt(Date.now()) * 1_000_000n).toString();
const newId = (): string => randomBytes(32).toString('hex');

/** Full id, or the one id that starts with `prefix`. */
function resolve<T>(map: Map<string, T>, prefix: string): T | undefined {
  if (prefix === '') return undefined;
  const exact = map.get(prefix);
  if (exact) return exact;
  const hits = [...map.entries()].filter(([id]) => id.startsWith(prefix));
  return hits.length === 1 ? hits[0][1] : undefined;
}

function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export class FakeRuntime implements LocalRuntime {
  readonly calls: RecordedCall[] = [];
  readonly pods = new Map<string, FakePod>();
  readonly containers = new Map<string, FakeContainer>();
  readonly names = new NameIndex();
  /** Reported by status(); tests flip it to check the merged conditions. */
  networkReady = true;
  private readonly listeners = new Set<(e: t.ContainerEventResponse) => void>();

  constructor(readonly handlers: readonly string[] = ['gvisor']) {}

  ownsPod(id: string): boolean {
    return resolve(this.pods, id) !== undefined;
  }

  ownsContainer(id: string): boolean {
    return resolve(this.containers, id) !== undefined;
  }

  subscribeContainerEvents(listener: (e: t.ContainerEventResponse) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(method: string, req: unknown): void {
    this.calls.push({ method, req });
  }

  private pod(id: string): FakePod {
    const pod = resolve(this.pods, id);
    if (!pod) throw notFound(`pod sandbox "${id}"`);
    return pod;
  }

  private container(id: string): FakeContainer {
    const c = resolve(this.containers, id);
    if (!c) throw notFound(`container "${id}"`);
    return c;
  }

  private emit(c: FakeContainer, type: t.ContainerEventType): void {
    const event: t.ContainerEventResponse = {
      ...defaults('ContainerEventResponse'),
      container_id: c.id,
      container_event_type: type,
      created_at: nowNs(),
    };
    for (const l of this.listeners) l(event);
  }

  async runPodSandbox(req: t.RunPodSandboxRequest): Promise<t.RunPodSandboxResponse> {
    this.record('runPodSandbox', req);
    if (!req.config?.metadata) throw invalidArgument('pod sandbox config.metadata is required');
    const id = newId();
    this.names.reserve(podName(req.config.metadata), id);
    this.pods.set(id, {
      id,
      config: req.config,
      handler: req.runtime_handler,
      createdAt: nowNs(),
      state: t.PodSandboxState.SANDBOX_READY,
    });
    return { pod_sandbox_id: id };
  }

  async stopPodSandbox(req: t.StopPodSandboxRequest): Promise<t.StopPodSandboxResponse> {
    this.record('stopPodSandbox', req);
    const pod = resolve(this.pods, req.pod_sandbox_id);
    if (pod) pod.state = t.PodSandboxState.SANDBOX_NOTREADY;
    return {};
  }

  async removePodSandbox(req: t.RemovePodSandboxRequest): Promise<t.RemovePodSandboxResponse> {
    this.record('removePodSandbox', req);
    const pod = resolve(this.pods, req.pod_sandbox_id);
    if (pod && pod.config.metadata) {
      this.pods.delete(pod.id);
      this.names.release(podName(pod.config.metadata));
    }
    return {};
  }

  async podSandboxStatus(req: t.PodSandboxStatusRequest): Promise<t.PodSandboxStatusResponse> {
    this.record('podSandboxStatus', req);
    const pod = this.pod(req.pod_sandbox_id);
    return {
      ...defaults('PodSandboxStatusResponse'),
      status: {
        ...defaults('PodSandboxStatus'),
        id: pod.id,
        metadata: pod.config.metadata,
        state: pod.state,
        created_at: pod.createdAt,
        labels: pod.config.labels,
        annotations: pod.config.annotations,
        runtime_handler: pod.handler,
      },
    };
  }

  async listPodSandbox(req: t.ListPodSandboxRequest): Promise<t.ListPodSandboxResponse> {
    this.record('listPodSandbox', req);
    const f = req.filter;
    const items = [...this.pods.values()]
      .filter((p) => !f || ((!f.id || p.id.startsWith(f.id)) && (!f.state || f.state.state === p.state) && labelsMatch(f.label_selector, p.config.labels)))
      .map((p) => ({
        ...defaults('PodSandbox'),
        id: p.id,
        metadata: p.config.metadata,
        state: p.state,
        created_at: p.createdAt,
        labels: p.config.labels,
        annotations: p.config.annotations,
        runtime_handler: p.handler,
      }));
    return { items };
  }

  async createContainer(req: t.CreateContainerRequest): Promise<t.CreateContainerResponse> {
    this.record('createContainer', req);
    const pod = this.pod(req.pod_sandbox_id);
    if (!req.config?.metadata) throw invalidArgument('container config.metadata is required');
    const id = newId();
    this.names.reserve(containerName(req.config.metadata, pod.id), id);
    const c = { id, podId: pod.id, config: req.config, createdAt: nowNs(), state: t.ContainerState.CONTAINER_CREATED };
    this.containers.set(id, c);
    this.emit(c, t.ContainerEventType.CONTAINER_CREATED_EVENT);
    return { container_id: id };
  }

  async startContainer(req: t.StartContainerRequest): Promise<t.StartContainerResponse> {
    this.record('startContainer', req);
    const c = this.container(req.container_id);
    c.state = t.ContainerState.CONTAINER_RUNNING;
    this.emit(c, t.ContainerEventType.CONTAINER_STARTED_EVENT);
    return {};
  }

  async stopContainer(req: t.StopContainerRequest): Promise<t.StopContainerResponse> {
    this.record('stopContainer', req);
    const c = this.container(req.container_id);
    c.state = t.ContainerState.CONTAINER_EXITED;
    this.emit(c, t.ContainerEventType.CONTAINER_STOPPED_EVENT);
    return {};
  }

  async removeContainer(req: t.RemoveContainerRequest): Promise<t.RemoveContainerResponse> {
    this.record('removeContainer', req);
    const c = resolve(this.containers, req.container_id);
    if (c && c.config.metadata) {
      this.containers.delete(c.id);
      this.names.release(containerName(c.config.metadata, c.podId));
      this.emit(c, t.ContainerEventType.CONTAINER_DELETED_EVENT);
    }
    return {};
  }

  async listContainers(req: t.ListContainersRequest): Promise<t.ListContainersResponse> {
    this.record('listContainers', req);
    const f = req.filter;
    const containers = [...this.containers.values()]
      .filter(
        (c) =>
          !f ||
          ((!f.id || c.id.startsWith(f.id)) &&
            (!f.pod_sandbox_id || c.podId.startsWith(f.pod_sandbox_id)) &&
            (!f.state || f.state.state === c.state) &&
            labelsMatch(f.label_selector, c.config.labels)),
      )
      .map((c) => ({
        ...defaults('Container'),
        id: c.id,
        pod_sandbox_id: c.podId,
        metadata: c.config.metadata,
        image: c.config.image,
        image_ref: c.config.image?.image ?? '',
        state: c.state,
        created_at: c.createdAt,
        labels: c.config.labels,
        annotations: c.config.annotations,
      }));
    return { containers };
  }

  async containerStatus(req: t.ContainerStatusRequest): Promise<t.ContainerStatusResponse> {
    this.record('containerStatus', req);
    const c = this.container(req.container_id);
    return {
      ...defaults('ContainerStatusResponse'),
      status: {
        ...defaults('ContainerStatus'),
        id: c.id,
        metadata: c.config.metadata,
        state: c.state,
        created_at: c.createdAt,
        image: c.config.image,
        labels: c.config.labels,
        annotations: c.config.annotations,
      },
    };
  }

  async status(req: t.StatusRequest): Promise<t.StatusResponse> {
    this.record('status', req);
    const condition = (type: string, ready: boolean): t.RuntimeCondition => ({
      type,
      status: ready,
      reason: ready ? '' : 'FakeNotReady',
      message: ready ? '' : 'the fake runtime was told so',
    });
    return {
      ...defaults('StatusResponse'),
      status: { conditions: [condition('RuntimeReady', true), condition('NetworkReady', this.networkReady)] },
      info: req.verbose ? { fake: '{"local":true}' } : {},
    };
  }

  async updateRuntimeConfig(req: t.UpdateRuntimeConfigRequest): Promise<t.UpdateRuntimeConfigResponse> {
    this.record('updateRuntimeConfig', req);
    return {};
  }

  async listContainerStats(req: t.ListContainerStatsRequest): Promise<t.ListContainerStatsResponse> {
    this.record('listContainerStats', req);
    return { stats: [] };
  }

  async listPodSandboxStats(req: t.ListPodSandboxStatsRequest): Promise<t.ListPodSandboxStatsResponse> {
    this.record('listPodSandboxStats', req);
    return { stats: [] };
  }

  async listMetricDescriptors(req: t.ListMetricDescriptorsRequest): Promise<t.ListMetricDescriptorsResponse> {
    this.record('listMetricDescriptors', req);
    return { descriptors: [] };
  }

  async listPodSandboxMetrics(req: t.ListPodSandboxMetricsRequest): Promise<t.ListPodSandboxMetricsResponse> {
    this.record('listPodSandboxMetrics', req);
    return { pod_metrics: [] };
  }

  private unimplemented(method: string, req: unknown): never {
    this.record(method, req);
    throw unimplemented(`fake runtime: ${method}`);
  }

  updateContainerResources = async (req: t.UpdateContainerResourcesRequest): Promise<t.UpdateContainerResourcesResponse> =>
    this.unimplemented('updateContainerResources', req);
  reopenContainerLog = async (req: t.ReopenContainerLogRequest): Promise<t.ReopenContainerLogResponse> =>
    this.unimplemented('reopenContainerLog', req);
  execSync = async (req: t.ExecSyncRequest): Promise<t.ExecSyncResponse> => this.unimplemented('execSync', req);
  exec = async (req: t.ExecRequest): Promise<t.ExecResponse> => this.unimplemented('exec', req);
  attach = async (req: t.AttachRequest): Promise<t.AttachResponse> => this.unimplemented('attach', req);
  portForward = async (req: t.PortForwardRequest): Promise<t.PortForwardResponse> => this.unimplemented('portForward', req);
  containerStats = async (req: t.ContainerStatsRequest): Promise<t.ContainerStatsResponse> =>
    this.unimplemented('containerStats', req);
  podSandboxStats = async (req: t.PodSandboxStatsRequest): Promise<t.PodSandboxStatsResponse> =>
    this.unimplemented('podSandboxStats', req);
  checkpointContainer = async (req: t.CheckpointContainerRequest): Promise<t.CheckpointContainerResponse> =>
    this.unimplemented('checkpointContainer', req);
  updatePodSandboxResources = async (req: t.UpdatePodSandboxResourcesRequest): Promise<t.UpdatePodSandboxResourcesResponse> =>
    this.unimplemented('updatePodSandboxResources', req);
}

/** Images keyed by reference; the id is a digest of the reference. */
export class FakeImages implements LocalImages {
  readonly calls: RecordedCall[] = [];
  readonly images = new Map<string, t.Image>();

  async pullImage(req: t.PullImageRequest): Promise<t.PullImageResponse> {
    this.calls.push({ method: 'pullImage', req });
    const ref = req.image?.image ?? '';
    if (!ref) throw invalidArgument('image reference is required');
    const id = `sha256:${createHash('sha256').update(ref).digest('hex')}`;
    this.images.set(ref, { ...defaults('Image'), id, repo_tags: [ref], size: '1024' });
    return { image_ref: id };
  }

  async imageStatus(req: t.ImageStatusRequest): Promise<t.ImageStatusResponse> {
    this.calls.push({ method: 'imageStatus', req });
    return { ...defaults('ImageStatusResponse'), image: this.images.get(req.image?.image ?? '') ?? null };
  }

  async listImages(req: t.ListImagesRequest): Promise<t.ListImagesResponse> {
    this.calls.push({ method: 'listImages', req });
    return { images: [...this.images.values()] };
  }

  async removeImage(req: t.RemoveImageRequest): Promise<t.RemoveImageResponse> {
    this.calls.push({ method: 'removeImage', req });
    this.images.delete(req.image?.image ?? '');
    return {};
  }

  async imageFsInfo(req: t.ImageFsInfoRequest): Promise<t.ImageFsInfoResponse> {
    this.calls.push({ method: 'imageFsInfo', req });
    return { image_filesystems: [], container_filesystems: [] };
  }
}
