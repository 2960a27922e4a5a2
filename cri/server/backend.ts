/**
 * What the server needs from the local side: the RuntimeService that runs
 * pods in tsvisor sandboxes (cri/runtime) and the image store (cri/image).
 * One method per RPC, named after it. The server answers Version and
 * RuntimeConfig itself, merges List*, Status and events with the upstream,
 * and routes id-bearing calls with ownsPod/ownsContainer.
 *
 * Contract for implementations:
 * - Throw CriError (errors.ts) for anything the client should see as a status;
 *   anything else becomes INTERNAL.
 * - Ids the server cannot place elsewhere come here even when unknown (no
 *   upstream configured): answer NOT_FOUND, except the idempotent calls
 *   (StopPodSandbox, RemovePodSandbox, RemoveContainer), which succeed.
 * - Reserve pod and container names with a NameIndex (names.ts) so that
 *   concurrent RunPodSandbox/CreateContainer for one name cannot both succeed.
 */
import type * as t from '../proto/types';

export interface LocalRuntime {
  /** Runtime handler names served locally, e.g. ['gvisor']. */
  readonly handlers: readonly string[];
  /** True when the pod (full id or unique prefix) is one of ours. */
  ownsPod(podSandboxId: string): boolean;
  /** True when the container (full id or unique prefix) is one of ours. */
  ownsContainer(containerId: string): boolean;
  /** Called for every local container event until the returned function is called. */
  subscribeContainerEvents(listener: (event: t.ContainerEventResponse) => void): () => void;

  runPodSandbox(req: t.RunPodSandboxRequest): Promise<t.RunPodSandboxResponse>;
  stopPodSandbox(req: t.StopPodSandboxRequest): Promise<t.StopPodSandboxResponse>;
  removePodSandbox(req: t.RemovePodSandboxRequest): Promise<t.RemovePodSandboxResponse>;
  podSandboxStatus(req: t.PodSandboxStatusRequest): Promise<t.PodSandboxStatusResponse>;
  listPodSandbox(req: t.ListPodSandboxRequest): Promise<t.ListPodSandboxResponse>;
  createContainer(req: t.CreateContainerRequest): Promise<t.CreateContainerResponse>;
  startContainer(req: t.StartContainerRequest): Promise<t.StartContainerResponse>;
  stopContainer(req: t.StopContainerRequest): Promise<t.StopContainerResponse>;
  removeContainer(req: t.RemoveContainerRequest): Promise<t.RemoveContainerResponse>;
  listContainers(req: t.ListContainersRequest): Promise<t.ListContainersResponse>;
  containerStatus(req: t.ContainerStatusRequest): Promise<t.ContainerStatusResponse>;
  updateContainerResources(req: t.UpdateContainerResourcesRequest): Promise<t.UpdateContainerResourcesResponse>;
  reopenContainerLog(req: t.ReopenContainerLogRequest): Promise<t.ReopenContainerLogResponse>;
  execSync(req: t.ExecSyncRequest): Promise<t.ExecSyncResponse>;
  exec(req: t.ExecRequest): Promise<t.ExecResponse>;
  attach(req: t.AttachRequest): Promise<t.AttachResponse>;
  portForward(req: t.PortForwardRequest): Promise<t.PortForwardResponse>;
  containerStats(req: t.ContainerStatsRequest): Promise<t.ContainerStatsResponse>;
  listContainerStats(req: t.ListContainerStatsRequest): Promise<t.ListContainerStatsResponse>;
  podSandboxStats(req: t.PodSandboxStatsRequest): Promise<t.PodSandboxStatsResponse>;
  listPodSandboxStats(req: t.ListPodSandboxStatsRequest): Promise<t.ListPodSandboxStatsResponse>;
  /** The server forwards the same request to the upstream too. */
  updateRuntimeConfig(req: t.UpdateRuntimeConfigRequest): Promise<t.UpdateRuntimeConfigResponse>;
  /** Conditions (RuntimeReady, NetworkReady) and info; the server fills runtime_handlers and features. */
  status(req: t.StatusRequest): Promise<t.StatusResponse>;
  checkpointContainer(req: t.CheckpointContainerRequest): Promise<t.CheckpointContainerResponse>;
  listMetricDescriptors(req: t.ListMetricDescriptorsRequest): Promise<t.ListMetricDescriptorsResponse>;
  listPodSandboxMetrics(req: t.ListPodSandboxMetricsRequest): Promise<t.ListPodSandboxMetricsResponse>;
  updatePodSandboxResources(req: t.UpdatePodSandboxResourcesRequest): Promise<t.UpdatePodSandboxResourcesResponse>;
}

export interface LocalImages {
  listImages(req: t.ListImagesRequest): Promise<t.ListImagesResponse>;
  imageStatus(req: t.ImageStatusRequest): Promise<t.ImageStatusResponse>;
  pullImage(req: t.PullImageRequest): Promise<t.PullImageResponse>;
  /** Succeeds when the image is already gone (CRI: RemoveImage is idempotent). */
  removeImage(req: t.RemoveImageRequest): Promise<t.RemoveImageResponse>;
  imageFsInfo(req: t.ImageFsInfoRequest): Promise<t.ImageFsInfoResponse>;
}
