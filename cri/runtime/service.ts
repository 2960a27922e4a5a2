/**
 * The local RuntimeService: `gvisor` pods in tsvisor sandboxes. Pod and
 * container lifecycles live in pods.ts and containers.ts; this file maps
 * them to the CRI messages (statuses, lists with filters, stats, events).
 */
import path from 'node:path';
import { defaults } from '../proto/codec';
import * as t from '../proto/types';
import type { HostNetworkPods, NetworkMode } from '../config';
import type { ImageStore } from '../image/store';
import { Cni } from '../pod/cni';
import type { LocalRuntime } from '../server/backend';
import { invalidArgument, unavailable, unimplemented } from '../server/errors';
import { Containers } from './containers';
import { Stats } from './stats';
import { KeyedLock } from './keyed-lock';
import { nowNs, Pods } from './pods';
import type { ContainerRecord, PodRecord } from './store';

export interface RuntimeOptions {
  root: string;
  stateDir: string;
  handlers: readonly string[];
  images: ImageStore;
  cni: { confDir?: string; binDirs?: string[] };
  cgroupParent?: string;
  /** The pods' network mode and hostNetwork policy (cri/config.ts; default sandbox, allow). */
  network?: NetworkMode;
  hostNetworkPods?: HostNetworkPods;
  log: (msg: string) => void;
}

/** Hands out URLs for Exec/Attach/PortForward (cri/streaming). */
export interface StreamUrls {
  getExec(req: t.ExecRequest): { url: string };
  getAttach(req: t.AttachRequest): { url: string };
  getPortForward(req: t.PortForwardRequest): { url: string };
}

const CONTAINER_STATE: Record<ContainerRecord['state'], t.ContainerState> = {
  created: t.ContainerState.CONTAINER_CREATED,
  running: t.ContainerState.CONTAINER_RUNNING,
  exited: t.ContainerState.CONTAINER_EXITED,
  unknown: t.ContainerState.CONTAINER_UNKNOWN,
};

const podState = (p: PodRecord): t.PodSandboxState =>
  p.state === 'ready' ? t.PodSandboxState.SANDBOX_READY : t.PodSandboxState.SANDBOX_NOTREADY;

const labelsMatch = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

export class TsvisorRuntime implements LocalRuntime {
  readonly handlers: readonly string[];
  readonly pods: Pods;
  readonly containers: Containers;
  private readonly cni: Cni;
  private readonly listeners = new Set<(e: t.ContainerEventResponse) => void>();
  /** Stop and Remove of one pod, one at a time. */
  private readonly podOps = new KeyedLock();
  private readonly stats: Stats;
  /** Set once the streaming server listens; until then Exec/Attach/PortForward are unavailable. */
  streaming: StreamUrls | undefined;

  constructor(o: RuntimeOptions) {
    this.handlers = o.handlers;
    this.cni = new Cni({ ...o.cni, cacheDir: path.join(o.root, 'cni') });
    this.pods = new Pods({
      root: o.root, stateDir: o.stateDir, cni: this.cni, cgroupParent: o.cgroupParent ?? 'tsvisor',
      network: o.network ?? 'sandbox', hostNetworkPods: o.hostNetworkPods ?? 'allow', log: o.log,
    });
    this.containers = new Containers(o.root, this.pods, o.images, o.log);
    this.pods.onSentry = (id, client) => this.containers.follow(id, client);
    this.stats = new Stats(this.pods, this.containers, o.root);
    this.containers.onEvent = (c, type) => this.publish(c, type);
    o.images.setInUse((imageId) => [...this.containers.store.records.values()].some((c) => c.imageId === imageId));
  }

  /** Reloads persisted state and reconnects to running pods (call once at start). */
  recover(): void {
    this.pods.recover();
    this.containers.recover();
  }

  ownsPod(id: string): boolean {
    return this.pods.store.find(id) !== undefined;
  }

  ownsContainer(id: string): boolean {
    return this.containers.store.find(id) !== undefined;
  }

  subscribeContainerEvents(listener: (event: t.ContainerEventResponse) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(c: ContainerRecord, type: t.ContainerEventType): void {
    const pod = this.pods.store.records.get(c.podId);
    const event: t.ContainerEventResponse = {
      container_id: c.id, container_event_type: type, created_at: nowNs(),
      pod_sandbox_status: pod ? this.podStatus(pod) : null, containers_statuses: [this.containerStatus_(c)],
    };
    for (const l of this.listeners) l(event);
  }

  // --- pods

  async runPodSandbox(req: t.RunPodSandboxRequest): Promise<t.RunPodSandboxResponse> {
    return { pod_sandbox_id: await this.pods.run(req) };
  }

  async stopPodSandbox(req: t.StopPodSandboxRequest): Promise<t.StopPodSandboxResponse> {
    const p = this.pods.store.find(req.pod_sandbox_id);
    if (p) {
      await this.podOps.run(p.id, async () => {
        for (const c of this.containersOf(p.id)) await this.containers.stop(c.id, 0);
        await this.pods.stop(p.id);
      });
    }
    return {};
  }

  async removePodSandbox(req: t.RemovePodSandboxRequest): Promise<t.RemovePodSandboxResponse> {
    const p = this.pods.store.find(req.pod_sandbox_id);
    if (p) {
      await this.podOps.run(p.id, async () => {
        for (const c of this.containersOf(p.id)) await this.containers.remove(c.id);
        await this.pods.remove(p.id);
      });
    }
    return {};
  }

  private containersOf(podId: string): ContainerRecord[] {
    return [...this.containers.store.records.values()].filter((c) => c.podId === podId);
  }

  private podStatus(p: PodRecord): t.PodSandboxStatus {
    return {
      ...defaults('PodSandboxStatus'),
      id: p.id, metadata: p.config.metadata, state: podState(p), created_at: p.createdAt,
      network: { ip: p.ips[0] ?? '', additional_ips: p.ips.slice(1).map((ip) => ({ ip })) },
      linux: {
        namespaces: {
          options: { ...defaults('NamespaceOption'), network: t.NamespaceMode.POD, pid: t.NamespaceMode.POD, ipc: t.NamespaceMode.POD },
        },
      },
      labels: p.config.labels, annotations: p.config.annotations, runtime_handler: p.handler,
    };
  }

  async podSandboxStatus(req: t.PodSandboxStatusRequest): Promise<t.PodSandboxStatusResponse> {
    const p = this.pods.get(req.pod_sandbox_id);
    const info: Record<string, string> = {};
    if (req.verbose) {
      info.info = JSON.stringify({ netnsPath: p.netnsPath, cgroupPath: p.cgroupPath, sentryPid: p.sentryPid, runDir: p.runDir });
    }
    return {
      status: this.podStatus(p), info, timestamp: nowNs(),
      containers_statuses: req.verbose ? this.containersOf(p.id).map((c) => this.containerStatus_(c)) : [],
    };
  }

  async listPodSandbox(req: t.ListPodSandboxRequest): Promise<t.ListPodSandboxResponse> {
    const f = req.filter;
    const items = [...this.pods.store.records.values()]
      .filter((p) => !f?.id || p.id.startsWith(f.id))
      .filter((p) => !f?.state || podState(p) === f.state.state)
      .filter((p) => !f || labelsMatch(f.label_selector, p.config.labels))
      .map((p) => ({
        id: p.id, metadata: p.config.metadata, state: podState(p), created_at: p.createdAt,
        labels: p.config.labels, annotations: p.config.annotations, runtime_handler: p.handler,
      }));
    return { items };
  }

  // --- containers

  async createContainer(req: t.CreateContainerRequest): Promise<t.CreateContainerResponse> {
    return { container_id: this.containers.create(req) };
  }

  async startContainer(req: t.StartContainerRequest): Promise<t.StartContainerResponse> {
    await this.containers.start(req.container_id);
    return {};
  }

  async stopContainer(req: t.StopContainerRequest): Promise<t.StopContainerResponse> {
    const timeout = Number(req.timeout);
    if (!Number.isFinite(timeout) || timeout < 0) throw invalidArgument(`bad timeout ${req.timeout}`);
    // Idempotent like removal: an unknown container is already stopped (kubelet retries).
    await this.containers.stop(req.container_id, timeout);
    return {};
  }

  async removeContainer(req: t.RemoveContainerRequest): Promise<t.RemoveContainerResponse> {
    await this.containers.remove(req.container_id);
    return {};
  }

  async listContainers(req: t.ListContainersRequest): Promise<t.ListContainersResponse> {
    const f = req.filter;
    const containers = [...this.containers.store.records.values()]
      .filter((c) => !f?.id || c.id.startsWith(f.id))
      .filter((c) => !f?.pod_sandbox_id || c.podId.startsWith(f.pod_sandbox_id))
      .filter((c) => !f?.state || CONTAINER_STATE[c.state] === f.state.state)
      .filter((c) => !f || labelsMatch(f.label_selector, c.config.labels))
      .map((c) => ({
        id: c.id, pod_sandbox_id: c.podId, metadata: c.config.metadata, image: c.config.image, image_ref: c.imageRef,
        state: CONTAINER_STATE[c.state], created_at: c.createdAt, labels: c.config.labels, annotations: c.config.annotations,
        image_id: c.imageId,
      }));
    return { containers };
  }

  private containerStatus_(c: ContainerRecord): t.ContainerStatus {
    return {
      ...defaults('ContainerStatus'),
      id: c.id, metadata: c.config.metadata, state: CONTAINER_STATE[c.state], created_at: c.createdAt,
      started_at: c.startedAt ?? '0', finished_at: c.finishedAt ?? '0', exit_code: c.exitCode ?? 0,
      image: c.config.image, image_ref: c.imageRef, image_id: c.imageId, reason: c.reason ?? '', message: c.message ?? '',
      labels: c.config.labels, annotations: c.config.annotations, mounts: c.config.mounts, log_path: c.logPath,
    };
  }

  async containerStatus(req: t.ContainerStatusRequest): Promise<t.ContainerStatusResponse> {
    const c = this.containers.get(req.container_id);
    return { status: this.containerStatus_(c), info: req.verbose ? { info: JSON.stringify({ podId: c.podId }) } : {} };
  }

  async updateContainerResources(req: t.UpdateContainerResourcesRequest): Promise<t.UpdateContainerResourcesResponse> {
    const c = this.containers.get(req.container_id);
    if (!req.linux) return {};
    // The memory limit is the container's own, enforced by the Sentry: on the pod cgroup (the Sentry and
    // every container's stubs) it would make the host kill the whole pod instead.
    await this.containers.updateResources(c.id, req.linux);
    this.pods.cgroupOf(this.pods.get(c.podId))?.setResources({ ...req.linux, memory_limit_in_bytes: '0' });
    return {};
  }

  async reopenContainerLog(req: t.ReopenContainerLogRequest): Promise<t.ReopenContainerLogResponse> {
    await this.containers.reopenLog(req.container_id);
    return {};
  }

  async execSync(req: t.ExecSyncRequest): Promise<t.ExecSyncResponse> {
    const r = await this.containers.execSync(req.container_id, req.cmd, Number(req.timeout));
    return { stdout: r.stdout, stderr: r.stderr, exit_code: r.exitCode };
  }

  private urls(): StreamUrls {
    if (!this.streaming) throw unavailable('the streaming server is not running');
    return this.streaming;
  }

  async exec(req: t.ExecRequest): Promise<t.ExecResponse> {
    const c = this.containers.get(req.container_id);
    if (c.state !== 'running') throw invalidArgument(`container ${c.id} is not running`);
    if (req.cmd.length === 0) throw invalidArgument('exec: empty command');
    return this.urls().getExec({ ...req, container_id: c.id });
  }

  async attach(req: t.AttachRequest): Promise<t.AttachResponse> {
    const c = this.containers.get(req.container_id);
    return this.urls().getAttach({ ...req, container_id: c.id });
  }

  async portForward(req: t.PortForwardRequest): Promise<t.PortForwardResponse> {
    const p = this.pods.get(req.pod_sandbox_id);
    return this.urls().getPortForward({ ...req, pod_sandbox_id: p.id });
  }

  // --- stats (cri/runtime/stats.ts)

  async containerStats(req: t.ContainerStatsRequest): Promise<t.ContainerStatsResponse> {
    const [stats] = await this.stats.containersStats([this.containers.get(req.container_id)]);
    return { stats };
  }

  async listContainerStats(req: t.ListContainerStatsRequest): Promise<t.ListContainerStatsResponse> {
    const f = req.filter;
    const list = [...this.containers.store.records.values()]
      .filter((c) => !f?.id || c.id.startsWith(f.id))
      .filter((c) => !f?.pod_sandbox_id || c.podId.startsWith(f.pod_sandbox_id))
      .filter((c) => !f || labelsMatch(f.label_selector, c.config.labels));
    return { stats: await this.stats.containersStats(list) };
  }

  async podSandboxStats(req: t.PodSandboxStatsRequest): Promise<t.PodSandboxStatsResponse> {
    return { stats: await this.stats.podStats(this.pods.get(req.pod_sandbox_id)) };
  }

  async listPodSandboxStats(req: t.ListPodSandboxStatsRequest): Promise<t.ListPodSandboxStatsResponse> {
    const f = req.filter;
    const pods = [...this.pods.store.records.values()]
      .filter((p) => !f?.id || p.id.startsWith(f.id))
      .filter((p) => !f || labelsMatch(f.label_selector, p.config.labels));
    return { stats: await Promise.all(pods.map((p) => this.stats.podStats(p))) };
  }

  async updateRuntimeConfig(_req: t.UpdateRuntimeConfigRequest): Promise<t.UpdateRuntimeConfigResponse> {
    // The pod CIDR belongs to the CNI configuration, which kubelet does not manage here.
    return {};
  }

  async status(_req: t.StatusRequest): Promise<t.StatusResponse> {
    const net = this.cni.status();
    return {
      ...defaults('StatusResponse'),
      status: {
        conditions: [
          { type: 'RuntimeReady', status: true, reason: '', message: '' },
          { type: 'NetworkReady', status: net.ready, reason: net.reason ?? '', message: net.message ?? '' },
        ],
      },
    };
  }

  async checkpointContainer(): Promise<t.CheckpointContainerResponse> {
    throw unimplemented('checkpointing containers is not supported by tsvisor');
  }

  async listMetricDescriptors(): Promise<t.ListMetricDescriptorsResponse> {
    return { descriptors: [] };
  }

  async listPodSandboxMetrics(): Promise<t.ListPodSandboxMetricsResponse> {
    return { pod_metrics: [] };
  }

  async updatePodSandboxResources(req: t.UpdatePodSandboxResourcesRequest): Promise<t.UpdatePodSandboxResourcesResponse> {
    const p = this.pods.get(req.pod_sandbox_id);
    if (req.resources) this.pods.cgroupOf(p)?.setResources(req.resources);
    return {};
  }
}
