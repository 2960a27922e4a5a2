// Generated from api.proto by gen-types.ts; do not edit.
// Messages as codec.ts decodes them: every field present, unset messages
// null, 64-bit integers as decimal strings, enums as numbers.

export interface VersionRequest {
  version: string;
}

export interface VersionResponse {
  version: string;
  runtime_name: string;
  runtime_version: string;
  runtime_api_version: string;
}

export interface DNSConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export enum Protocol {
  TCP = 0,
  UDP = 1,
  SCTP = 2,
}

export interface PortMapping {
  protocol: Protocol;
  container_port: number;
  host_port: number;
  host_ip: string;
}

export enum MountPropagation {
  PROPAGATION_PRIVATE = 0,
  PROPAGATION_HOST_TO_CONTAINER = 1,
  PROPAGATION_BIDIRECTIONAL = 2,
}

export interface Mount {
  container_path: string;
  host_path: string;
  readonly: boolean;
  selinux_relabel: boolean;
  propagation: MountPropagation;
  uidMappings: IDMapping[];
  gidMappings: IDMapping[];
  recursive_read_only: boolean;
  image: ImageSpec | null;
  image_sub_path: string;
}

export interface IDMapping {
  host_id: number;
  container_id: number;
  length: number;
}

export enum NamespaceMode {
  POD = 0,
  CONTAINER = 1,
  NODE = 2,
  TARGET = 3,
}

export interface UserNamespace {
  mode: NamespaceMode;
  uids: IDMapping[];
  gids: IDMapping[];
}

export interface NamespaceOption {
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
  target_id: string;
  userns_options: UserNamespace | null;
}

export enum SupplementalGroupsPolicy {
  Merge = 0,
  Strict = 1,
}

export interface Int64Value {
  value: string;
}

export interface LinuxSandboxSecurityContext {
  namespace_options: NamespaceOption | null;
  selinux_options: SELinuxOption | null;
  run_as_user: Int64Value | null;
  run_as_group: Int64Value | null;
  readonly_rootfs: boolean;
  supplemental_groups: string[];
  supplemental_groups_policy: SupplementalGroupsPolicy;
  privileged: boolean;
  seccomp: SecurityProfile | null;
  apparmor: SecurityProfile | null;
  seccomp_profile_path: string;
}

export enum SecurityProfile_ProfileType {
  RuntimeDefault = 0,
  Unconfined = 1,
  Localhost = 2,
}

export interface SecurityProfile {
  profile_type: SecurityProfile_ProfileType;
  localhost_ref: string;
}

export interface LinuxPodSandboxConfig {
  cgroup_parent: string;
  security_context: LinuxSandboxSecurityContext | null;
  sysctls: Record<string, string>;
  overhead: LinuxContainerResources | null;
  resources: LinuxContainerResources | null;
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata | null;
  hostname: string;
  log_directory: string;
  dns_config: DNSConfig | null;
  port_mappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  linux: LinuxPodSandboxConfig | null;
  windows: WindowsPodSandboxConfig | null;
}

export interface RunPodSandboxRequest {
  config: PodSandboxConfig | null;
  runtime_handler: string;
}

export interface RunPodSandboxResponse {
  pod_sandbox_id: string;
}

export interface StopPodSandboxRequest {
  pod_sandbox_id: string;
}

export type StopPodSandboxResponse = Record<string, never>;

export interface RemovePodSandboxRequest {
  pod_sandbox_id: string;
}

export type RemovePodSandboxResponse = Record<string, never>;

export interface PodSandboxStatusRequest {
  pod_sandbox_id: string;
  verbose: boolean;
}

export interface PodIP {
  ip: string;
}

export interface PodSandboxNetworkStatus {
  ip: string;
  additional_ips: PodIP[];
}

export interface Namespace {
  options: NamespaceOption | null;
}

export interface LinuxPodSandboxStatus {
  namespaces: Namespace | null;
}

export enum PodSandboxState {
  SANDBOX_READY = 0,
  SANDBOX_NOTREADY = 1,
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  created_at: string;
  network: PodSandboxNetworkStatus | null;
  linux: LinuxPodSandboxStatus | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtime_handler: string;
}

export interface PodSandboxStatusResponse {
  status: PodSandboxStatus | null;
  info: Record<string, string>;
  containers_statuses: ContainerStatus[];
  timestamp: string;
}

export interface PodSandboxStateValue {
  state: PodSandboxState;
}

export interface PodSandboxFilter {
  id: string;
  state: PodSandboxStateValue | null;
  label_selector: Record<string, string>;
}

export interface ListPodSandboxRequest {
  filter: PodSandboxFilter | null;
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  created_at: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtime_handler: string;
}

export interface ListPodSandboxResponse {
  items: PodSandbox[];
}

export interface PodSandboxStatsRequest {
  pod_sandbox_id: string;
}

export interface PodSandboxStatsResponse {
  stats: PodSandboxStats | null;
}

export interface PodSandboxStatsFilter {
  id: string;
  label_selector: Record<string, string>;
}

export interface ListPodSandboxStatsRequest {
  filter: PodSandboxStatsFilter | null;
}

export interface ListPodSandboxStatsResponse {
  stats: PodSandboxStats[];
}

export interface PodSandboxAttributes {
  id: string;
  metadata: PodSandboxMetadata | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStats {
  attributes: PodSandboxAttributes | null;
  linux: LinuxPodSandboxStats | null;
  windows: WindowsPodSandboxStats | null;
}

export interface LinuxPodSandboxStats {
  cpu: CpuUsage | null;
  memory: MemoryUsage | null;
  network: NetworkUsage | null;
  process: ProcessUsage | null;
  containers: ContainerStats[];
  io: IoUsage | null;
}

export interface WindowsPodSandboxStats {
  cpu: WindowsCpuUsage | null;
  memory: WindowsMemoryUsage | null;
  network: WindowsNetworkUsage | null;
  process: WindowsProcessUsage | null;
  containers: WindowsContainerStats[];
}

export interface NetworkUsage {
  timestamp: string;
  default_interface: NetworkInterfaceUsage | null;
  interfaces: NetworkInterfaceUsage[];
}

export interface WindowsNetworkUsage {
  timestamp: string;
  default_interface: WindowsNetworkInterfaceUsage | null;
  interfaces: WindowsNetworkInterfaceUsage[];
}

export interface NetworkInterfaceUsage {
  name: string;
  rx_bytes: UInt64Value | null;
  rx_errors: UInt64Value | null;
  tx_bytes: UInt64Value | null;
  tx_errors: UInt64Value | null;
}

export interface WindowsNetworkInterfaceUsage {
  name: string;
  rx_bytes: UInt64Value | null;
  rx_packets_dropped: UInt64Value | null;
  tx_bytes: UInt64Value | null;
  tx_packets_dropped: UInt64Value | null;
}

export interface ProcessUsage {
  timestamp: string;
  process_count: UInt64Value | null;
}

export interface WindowsProcessUsage {
  timestamp: string;
  process_count: UInt64Value | null;
}

export interface ImageSpec {
  image: string;
  annotations: Record<string, string>;
  user_specified_image: string;
  runtime_handler: string;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface LinuxContainerResources {
  cpu_period: string;
  cpu_quota: string;
  cpu_shares: string;
  memory_limit_in_bytes: string;
  oom_score_adj: string;
  cpuset_cpus: string;
  cpuset_mems: string;
  hugepage_limits: HugepageLimit[];
  unified: Record<string, string>;
  memory_swap_limit_in_bytes: string;
}

export interface HugepageLimit {
  page_size: string;
  limit: string;
}

export interface SELinuxOption {
  user: string;
  role: string;
  type: string;
  level: string;
}

export interface Capability {
  add_capabilities: string[];
  drop_capabilities: string[];
  add_ambient_capabilities: string[];
}

export interface LinuxContainerSecurityContext {
  capabilities: Capability | null;
  privileged: boolean;
  namespace_options: NamespaceOption | null;
  selinux_options: SELinuxOption | null;
  run_as_user: Int64Value | null;
  run_as_group: Int64Value | null;
  run_as_username: string;
  readonly_rootfs: boolean;
  supplemental_groups: string[];
  supplemental_groups_policy: SupplementalGroupsPolicy;
  no_new_privs: boolean;
  masked_paths: string[];
  readonly_paths: string[];
  seccomp: SecurityProfile | null;
  apparmor: SecurityProfile | null;
  apparmor_profile: string;
  seccomp_profile_path: string;
}

export interface LinuxContainerConfig {
  resources: LinuxContainerResources | null;
  security_context: LinuxContainerSecurityContext | null;
}

export interface LinuxContainerUser {
  uid: string;
  gid: string;
  supplemental_groups: string[];
}

export interface WindowsNamespaceOption {
  network: NamespaceMode;
}

export interface WindowsSandboxSecurityContext {
  run_as_username: string;
  credential_spec: string;
  host_process: boolean;
  namespace_options: WindowsNamespaceOption | null;
}

export interface WindowsPodSandboxConfig {
  security_context: WindowsSandboxSecurityContext | null;
}

export interface WindowsContainerSecurityContext {
  run_as_username: string;
  credential_spec: string;
  host_process: boolean;
}

export interface WindowsContainerConfig {
  resources: WindowsContainerResources | null;
  security_context: WindowsContainerSecurityContext | null;
}

export interface WindowsContainerResources {
  cpu_shares: string;
  cpu_count: string;
  cpu_maximum: string;
  memory_limit_in_bytes: string;
  rootfs_size_in_bytes: string;
  affinity_cpus: WindowsCpuGroupAffinity[];
}

export interface WindowsCpuGroupAffinity {
  cpu_mask: string;
  cpu_group: number;
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface Device {
  container_path: string;
  host_path: string;
  permissions: string;
}

export interface CDIDevice {
  name: string;
}

export interface ContainerConfig {
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  command: string[];
  args: string[];
  working_dir: string;
  envs: KeyValue[];
  mounts: Mount[];
  devices: Device[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  log_path: string;
  stdin: boolean;
  stdin_once: boolean;
  tty: boolean;
  linux: LinuxContainerConfig | null;
  windows: WindowsContainerConfig | null;
  CDI_devices: CDIDevice[];
  stop_signal: Signal;
}

export enum Signal {
  RUNTIME_DEFAULT = 0,
  SIGABRT = 1,
  SIGALRM = 2,
  SIGBUS = 3,
  SIGCHLD = 4,
  SIGCLD = 5,
  SIGCONT = 6,
  SIGFPE = 7,
  SIGHUP = 8,
  SIGILL = 9,
  SIGINT = 10,
  SIGIO = 11,
  SIGIOT = 12,
  SIGKILL = 13,
  SIGPIPE = 14,
  SIGPOLL = 15,
  SIGPROF = 16,
  SIGPWR = 17,
  SIGQUIT = 18,
  SIGSEGV = 19,
  SIGSTKFLT = 20,
  SIGSTOP = 21,
  SIGSYS = 22,
  SIGTERM = 23,
  SIGTRAP = 24,
  SIGTSTP = 25,
  SIGTTIN = 26,
  SIGTTOU = 27,
  SIGURG = 28,
  SIGUSR1 = 29,
  SIGUSR2 = 30,
  SIGVTALRM = 31,
  SIGWINCH = 32,
  SIGXCPU = 33,
  SIGXFSZ = 34,
  SIGRTMIN = 35,
  SIGRTMINPLUS1 = 36,
  SIGRTMINPLUS2 = 37,
  SIGRTMINPLUS3 = 38,
  SIGRTMINPLUS4 = 39,
  SIGRTMINPLUS5 = 40,
  SIGRTMINPLUS6 = 41,
  SIGRTMINPLUS7 = 42,
  SIGRTMINPLUS8 = 43,
  SIGRTMINPLUS9 = 44,
  SIGRTMINPLUS10 = 45,
  SIGRTMINPLUS11 = 46,
  SIGRTMINPLUS12 = 47,
  SIGRTMINPLUS13 = 48,
  SIGRTMINPLUS14 = 49,
  SIGRTMINPLUS15 = 50,
  SIGRTMAXMINUS14 = 51,
  SIGRTMAXMINUS13 = 52,
  SIGRTMAXMINUS12 = 53,
  SIGRTMAXMINUS11 = 54,
  SIGRTMAXMINUS10 = 55,
  SIGRTMAXMINUS9 = 56,
  SIGRTMAXMINUS8 = 57,
  SIGRTMAXMINUS7 = 58,
  SIGRTMAXMINUS6 = 59,
  SIGRTMAXMINUS5 = 60,
  SIGRTMAXMINUS4 = 61,
  SIGRTMAXMINUS3 = 62,
  SIGRTMAXMINUS2 = 63,
  SIGRTMAXMINUS1 = 64,
  SIGRTMAX = 65,
}

export interface CreateContainerRequest {
  pod_sandbox_id: string;
  config: ContainerConfig | null;
  sandbox_config: PodSandboxConfig | null;
}

export interface CreateContainerResponse {
  container_id: string;
}

export interface StartContainerRequest {
  container_id: string;
}

export type StartContainerResponse = Record<string, never>;

export interface StopContainerRequest {
  container_id: string;
  timeout: string;
}

export type StopContainerResponse = Record<string, never>;

export interface RemoveContainerRequest {
  container_id: string;
}

export type RemoveContainerResponse = Record<string, never>;

export enum ContainerState {
  CONTAINER_CREATED = 0,
  CONTAINER_RUNNING = 1,
  CONTAINER_EXITED = 2,
  CONTAINER_UNKNOWN = 3,
}

export interface ContainerStateValue {
  state: ContainerState;
}

export interface ContainerFilter {
  id: string;
  state: ContainerStateValue | null;
  pod_sandbox_id: string;
  label_selector: Record<string, string>;
}

export interface ListContainersRequest {
  filter: ContainerFilter | null;
}

export interface Container {
  id: string;
  pod_sandbox_id: string;
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  image_ref: string;
  state: ContainerState;
  created_at: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  image_id: string;
}

export interface ListContainersResponse {
  containers: Container[];
}

export interface ContainerStatusRequest {
  container_id: string;
  verbose: boolean;
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata | null;
  state: ContainerState;
  created_at: string;
  started_at: string;
  finished_at: string;
  exit_code: number;
  image: ImageSpec | null;
  image_ref: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: Mount[];
  log_path: string;
  resources: ContainerResources | null;
  image_id: string;
  user: ContainerUser | null;
  stop_signal: Signal;
}

export interface ContainerStatusResponse {
  status: ContainerStatus | null;
  info: Record<string, string>;
}

export interface ContainerResources {
  linux: LinuxContainerResources | null;
  windows: WindowsContainerResources | null;
}

export interface ContainerUser {
  linux: LinuxContainerUser | null;
}

export interface UpdateContainerResourcesRequest {
  container_id: string;
  linux: LinuxContainerResources | null;
  windows: WindowsContainerResources | null;
  annotations: Record<string, string>;
}

export type UpdateContainerResourcesResponse = Record<string, never>;

export interface ExecSyncRequest {
  container_id: string;
  cmd: string[];
  timeout: string;
}

export interface ExecSyncResponse {
  stdout: Uint8Array;
  stderr: Uint8Array;
  exit_code: number;
}

export interface ExecRequest {
  container_id: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface ExecResponse {
  url: string;
}

export interface AttachRequest {
  container_id: string;
  stdin: boolean;
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface AttachResponse {
  url: string;
}

export interface PortForwardRequest {
  pod_sandbox_id: string;
  port: number[];
}

export interface PortForwardResponse {
  url: string;
}

export interface ImageFilter {
  image: ImageSpec | null;
}

export interface ListImagesRequest {
  filter: ImageFilter | null;
}

export interface Image {
  id: string;
  repo_tags: string[];
  repo_digests: string[];
  size: string;
  uid: Int64Value | null;
  username: string;
  spec: ImageSpec | null;
  pinned: boolean;
}

export interface ListImagesResponse {
  images: Image[];
}

export interface ImageStatusRequest {
  image: ImageSpec | null;
  verbose: boolean;
}

export interface ImageStatusResponse {
  image: Image | null;
  info: Record<string, string>;
}

export interface AuthConfig {
  username: string;
  password: string;
  auth: string;
  server_address: string;
  identity_token: string;
  registry_token: string;
}

export interface PullImageRequest {
  image: ImageSpec | null;
  auth: AuthConfig | null;
  sandbox_config: PodSandboxConfig | null;
}

export interface PullImageResponse {
  image_ref: string;
}

export interface RemoveImageRequest {
  image: ImageSpec | null;
}

export type RemoveImageResponse = Record<string, never>;

export interface NetworkConfig {
  pod_cidr: string;
}

export interface RuntimeConfig {
  network_config: NetworkConfig | null;
}

export interface UpdateRuntimeConfigRequest {
  runtime_config: RuntimeConfig | null;
}

export type UpdateRuntimeConfigResponse = Record<string, never>;

export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface RuntimeStatus {
  conditions: RuntimeCondition[];
}

export interface StatusRequest {
  verbose: boolean;
}

export interface RuntimeHandlerFeatures {
  recursive_read_only_mounts: boolean;
  user_namespaces: boolean;
}

export interface RuntimeHandler {
  name: string;
  features: RuntimeHandlerFeatures | null;
}

export interface RuntimeFeatures {
  supplemental_groups_policy: boolean;
}

export interface StatusResponse {
  status: RuntimeStatus | null;
  info: Record<string, string>;
  runtime_handlers: RuntimeHandler[];
  features: RuntimeFeatures | null;
}

export type ImageFsInfoRequest = Record<string, never>;

export interface UInt64Value {
  value: string;
}

export interface FilesystemIdentifier {
  mountpoint: string;
}

export interface FilesystemUsage {
  timestamp: string;
  fs_id: FilesystemIdentifier | null;
  used_bytes: UInt64Value | null;
  inodes_used: UInt64Value | null;
}

export interface WindowsFilesystemUsage {
  timestamp: string;
  fs_id: FilesystemIdentifier | null;
  used_bytes: UInt64Value | null;
}

export interface ImageFsInfoResponse {
  image_filesystems: FilesystemUsage[];
  container_filesystems: FilesystemUsage[];
}

export interface ContainerStatsRequest {
  container_id: string;
}

export interface ContainerStatsResponse {
  stats: ContainerStats | null;
}

export interface ListContainerStatsRequest {
  filter: ContainerStatsFilter | null;
}

export interface ContainerStatsFilter {
  id: string;
  pod_sandbox_id: string;
  label_selector: Record<string, string>;
}

export interface ListContainerStatsResponse {
  stats: ContainerStats[];
}

export interface ContainerAttributes {
  id: string;
  metadata: ContainerMetadata | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStats {
  attributes: ContainerAttributes | null;
  cpu: CpuUsage | null;
  memory: MemoryUsage | null;
  writable_layer: FilesystemUsage | null;
  swap: SwapUsage | null;
  io: IoUsage | null;
}

export interface WindowsContainerStats {
  attributes: ContainerAttributes | null;
  cpu: WindowsCpuUsage | null;
  memory: WindowsMemoryUsage | null;
  writable_layer: WindowsFilesystemUsage | null;
}

export interface PsiStats {
  Full: PsiData | null;
  Some: PsiData | null;
}

export interface PsiData {
  Total: string;
  Avg10: number;
  Avg60: number;
  Avg300: number;
}

export interface CpuUsage {
  timestamp: string;
  usage_core_nano_seconds: UInt64Value | null;
  usage_nano_cores: UInt64Value | null;
  psi: PsiStats | null;
}

export interface WindowsCpuUsage {
  timestamp: string;
  usage_core_nano_seconds: UInt64Value | null;
  usage_nano_cores: UInt64Value | null;
}

export interface MemoryUsage {
  timestamp: string;
  working_set_bytes: UInt64Value | null;
  available_bytes: UInt64Value | null;
  usage_bytes: UInt64Value | null;
  rss_bytes: UInt64Value | null;
  page_faults: UInt64Value | null;
  major_page_faults: UInt64Value | null;
  psi: PsiStats | null;
}

export interface IoUsage {
  timestamp: string;
  psi: PsiStats | null;
}

export interface SwapUsage {
  timestamp: string;
  swap_available_bytes: UInt64Value | null;
  swap_usage_bytes: UInt64Value | null;
}

export interface WindowsMemoryUsage {
  timestamp: string;
  working_set_bytes: UInt64Value | null;
  available_bytes: UInt64Value | null;
  page_faults: UInt64Value | null;
  commit_memory_bytes: UInt64Value | null;
}

export interface ReopenContainerLogRequest {
  container_id: string;
}

export type ReopenContainerLogResponse = Record<string, never>;

export interface CheckpointContainerRequest {
  container_id: string;
  location: string;
  timeout: string;
}

export type CheckpointContainerResponse = Record<string, never>;

export type GetEventsRequest = Record<string, never>;

export interface ContainerEventResponse {
  container_id: string;
  container_event_type: ContainerEventType;
  created_at: string;
  pod_sandbox_status: PodSandboxStatus | null;
  containers_statuses: ContainerStatus[];
}

export enum ContainerEventType {
  CONTAINER_CREATED_EVENT = 0,
  CONTAINER_STARTED_EVENT = 1,
  CONTAINER_STOPPED_EVENT = 2,
  CONTAINER_DELETED_EVENT = 3,
}

export type ListMetricDescriptorsRequest = Record<string, never>;

export interface ListMetricDescriptorsResponse {
  descriptors: MetricDescriptor[];
}

export interface MetricDescriptor {
  name: string;
  help: string;
  label_keys: string[];
}

export type ListPodSandboxMetricsRequest = Record<string, never>;

export interface ListPodSandboxMetricsResponse {
  pod_metrics: PodSandboxMetrics[];
}

export interface PodSandboxMetrics {
  pod_sandbox_id: string;
  metrics: Metric[];
  container_metrics: ContainerMetrics[];
}

export interface ContainerMetrics {
  container_id: string;
  metrics: Metric[];
}

export interface Metric {
  name: string;
  timestamp: string;
  metric_type: MetricType;
  label_values: string[];
  value: UInt64Value | null;
}

export enum MetricType {
  COUNTER = 0,
  GAUGE = 1,
}

export type RuntimeConfigRequest = Record<string, never>;

export interface RuntimeConfigResponse {
  linux: LinuxRuntimeConfiguration | null;
}

export interface LinuxRuntimeConfiguration {
  cgroup_driver: CgroupDriver;
}

export enum CgroupDriver {
  SYSTEMD = 0,
  CGROUPFS = 1,
}

export interface UpdatePodSandboxResourcesRequest {
  pod_sandbox_id: string;
  overhead: LinuxContainerResources | null;
  resources: LinuxContainerResources | null;
}

export type UpdatePodSandboxResourcesResponse = Record<string, never>;

/** Every message by name, for codec.ts. */
export interface Messages {
  VersionRequest: VersionRequest;
  VersionResponse: VersionResponse;
  DNSConfig: DNSConfig;
  PortMapping: PortMapping;
  Mount: Mount;
  IDMapping: IDMapping;
  UserNamespace: UserNamespace;
  NamespaceOption: NamespaceOption;
  Int64Value: Int64Value;
  LinuxSandboxSecurityContext: LinuxSandboxSecurityContext;
  SecurityProfile: SecurityProfile;
  LinuxPodSandboxConfig: LinuxPodSandboxConfig;
  PodSandboxMetadata: PodSandboxMetadata;
  PodSandboxConfig: PodSandboxConfig;
  RunPodSandboxRequest: RunPodSandboxRequest;
  RunPodSandboxResponse: RunPodSandboxResponse;
  StopPodSandboxRequest: StopPodSandboxRequest;
  StopPodSandboxResponse: StopPodSandboxResponse;
  RemovePodSandboxRequest: RemovePodSandboxRequest;
  RemovePodSandboxResponse: RemovePodSandboxResponse;
  PodSandboxStatusRequest: PodSandboxStatusRequest;
  PodIP: PodIP;
  PodSandboxNetworkStatus: PodSandboxNetworkStatus;
  Namespace: Namespace;
  LinuxPodSandboxStatus: LinuxPodSandboxStatus;
  PodSandboxStatus: PodSandboxStatus;
  PodSandboxStatusResponse: PodSandboxStatusResponse;
  PodSandboxStateValue: PodSandboxStateValue;
  PodSandboxFilter: PodSandboxFilter;
  ListPodSandboxRequest: ListPodSandboxRequest;
  PodSandbox: PodSandbox;
  ListPodSandboxResponse: ListPodSandboxResponse;
  PodSandboxStatsRequest: PodSandboxStatsRequest;
  PodSandboxStatsResponse: PodSandboxStatsResponse;
  PodSandboxStatsFilter: PodSandboxStatsFilter;
  ListPodSandboxStatsRequest: ListPodSandboxStatsRequest;
  ListPodSandboxStatsResponse: ListPodSandboxStatsResponse;
  PodSandboxAttributes: PodSandboxAttributes;
  PodSandboxStats: PodSandboxStats;
  LinuxPodSandboxStats: LinuxPodSandboxStats;
  WindowsPodSandboxStats: WindowsPodSandboxStats;
  NetworkUsage: NetworkUsage;
  WindowsNetworkUsage: WindowsNetworkUsage;
  NetworkInterfaceUsage: NetworkInterfaceUsage;
  WindowsNetworkInterfaceUsage: WindowsNetworkInterfaceUsage;
  ProcessUsage: ProcessUsage;
  WindowsProcessUsage: WindowsProcessUsage;
  ImageSpec: ImageSpec;
  KeyValue: KeyValue;
  LinuxContainerResources: LinuxContainerResources;
  HugepageLimit: HugepageLimit;
  SELinuxOption: SELinuxOption;
  Capability: Capability;
  LinuxContainerSecurityContext: LinuxContainerSecurityContext;
  LinuxContainerConfig: LinuxContainerConfig;
  LinuxContainerUser: LinuxContainerUser;
  WindowsNamespaceOption: WindowsNamespaceOption;
  WindowsSandboxSecurityContext: WindowsSandboxSecurityContext;
  WindowsPodSandboxConfig: WindowsPodSandboxConfig;
  WindowsContainerSecurityContext: WindowsContainerSecurityContext;
  WindowsContainerConfig: WindowsContainerConfig;
  WindowsContainerResources: WindowsContainerResources;
  WindowsCpuGroupAffinity: WindowsCpuGroupAffinity;
  ContainerMetadata: ContainerMetadata;
  Device: Device;
  CDIDevice: CDIDevice;
  ContainerConfig: ContainerConfig;
  CreateContainerRequest: CreateContainerRequest;
  CreateContainerResponse: CreateContainerResponse;
  StartContainerRequest: StartContainerRequest;
  StartContainerResponse: StartContainerResponse;
  StopContainerRequest: StopContainerRequest;
  StopContainerResponse: StopContainerResponse;
  RemoveContainerRequest: RemoveContainerRequest;
  RemoveContainerResponse: RemoveContainerResponse;
  ContainerStateValue: ContainerStateValue;
  ContainerFilter: ContainerFilter;
  ListContainersRequest: ListContainersRequest;
  Container: Container;
  ListContainersResponse: ListContainersResponse;
  ContainerStatusRequest: ContainerStatusRequest;
  ContainerStatus: ContainerStatus;
  ContainerStatusResponse: ContainerStatusResponse;
  ContainerResources: ContainerResources;
  ContainerUser: ContainerUser;
  UpdateContainerResourcesRequest: UpdateContainerResourcesRequest;
  UpdateContainerResourcesResponse: UpdateContainerResourcesResponse;
  ExecSyncRequest: ExecSyncRequest;
  ExecSyncResponse: ExecSyncResponse;
  ExecRequest: ExecRequest;
  ExecResponse: ExecResponse;
  AttachRequest: AttachRequest;
  AttachResponse: AttachResponse;
  PortForwardRequest: PortForwardRequest;
  PortForwardResponse: PortForwardResponse;
  ImageFilter: ImageFilter;
  ListImagesRequest: ListImagesRequest;
  Image: Image;
  ListImagesResponse: ListImagesResponse;
  ImageStatusRequest: ImageStatusRequest;
  ImageStatusResponse: ImageStatusResponse;
  AuthConfig: AuthConfig;
  PullImageRequest: PullImageRequest;
  PullImageResponse: PullImageResponse;
  RemoveImageRequest: RemoveImageRequest;
  RemoveImageResponse: RemoveImageResponse;
  NetworkConfig: NetworkConfig;
  RuntimeConfig: RuntimeConfig;
  UpdateRuntimeConfigRequest: UpdateRuntimeConfigRequest;
  UpdateRuntimeConfigResponse: UpdateRuntimeConfigResponse;
  RuntimeCondition: RuntimeCondition;
  RuntimeStatus: RuntimeStatus;
  StatusRequest: StatusRequest;
  RuntimeHandlerFeatures: RuntimeHandlerFeatures;
  RuntimeHandler: RuntimeHandler;
  RuntimeFeatures: RuntimeFeatures;
  StatusResponse: StatusResponse;
  ImageFsInfoRequest: ImageFsInfoRequest;
  UInt64Value: UInt64Value;
  FilesystemIdentifier: FilesystemIdentifier;
  FilesystemUsage: FilesystemUsage;
  WindowsFilesystemUsage: WindowsFilesystemUsage;
  ImageFsInfoResponse: ImageFsInfoResponse;
  ContainerStatsRequest: ContainerStatsRequest;
  ContainerStatsResponse: ContainerStatsResponse;
  ListContainerStatsRequest: ListContainerStatsRequest;
  ContainerStatsFilter: ContainerStatsFilter;
  ListContainerStatsResponse: ListContainerStatsResponse;
  ContainerAttributes: ContainerAttributes;
  ContainerStats: ContainerStats;
  WindowsContainerStats: WindowsContainerStats;
  PsiStats: PsiStats;
  PsiData: PsiData;
  CpuUsage: CpuUsage;
  WindowsCpuUsage: WindowsCpuUsage;
  MemoryUsage: MemoryUsage;
  IoUsage: IoUsage;
  SwapUsage: SwapUsage;
  WindowsMemoryUsage: WindowsMemoryUsage;
  ReopenContainerLogRequest: ReopenContainerLogRequest;
  ReopenContainerLogResponse: ReopenContainerLogResponse;
  CheckpointContainerRequest: CheckpointContainerRequest;
  CheckpointContainerResponse: CheckpointContainerResponse;
  GetEventsRequest: GetEventsRequest;
  ContainerEventResponse: ContainerEventResponse;
  ListMetricDescriptorsRequest: ListMetricDescriptorsRequest;
  ListMetricDescriptorsResponse: ListMetricDescriptorsResponse;
  MetricDescriptor: MetricDescriptor;
  ListPodSandboxMetricsRequest: ListPodSandboxMetricsRequest;
  ListPodSandboxMetricsResponse: ListPodSandboxMetricsResponse;
  PodSandboxMetrics: PodSandboxMetrics;
  ContainerMetrics: ContainerMetrics;
  Metric: Metric;
  RuntimeConfigRequest: RuntimeConfigRequest;
  RuntimeConfigResponse: RuntimeConfigResponse;
  LinuxRuntimeConfiguration: LinuxRuntimeConfiguration;
  UpdatePodSandboxResourcesRequest: UpdatePodSandboxResourcesRequest;
  UpdatePodSandboxResourcesResponse: UpdatePodSandboxResourcesResponse;
}

/** Request and response of every RPC of both services (their names do not clash). */
export interface Rpcs {
  Version: { request: VersionRequest; response: VersionResponse };
  RunPodSandbox: { request: RunPodSandboxRequest; response: RunPodSandboxResponse };
  StopPodSandbox: { request: StopPodSandboxRequest; response: StopPodSandboxResponse };
  RemovePodSandbox: { request: RemovePodSandboxRequest; response: RemovePodSandboxResponse };
  PodSandboxStatus: { request: PodSandboxStatusRequest; response: PodSandboxStatusResponse };
  ListPodSandbox: { request: ListPodSandboxRequest; response: ListPodSandboxResponse };
  CreateContainer: { request: CreateContainerRequest; response: CreateContainerResponse };
  StartContainer: { request: StartContainerRequest; response: StartContainerResponse };
  StopContainer: { request: StopContainerRequest; response: StopContainerResponse };
  RemoveContainer: { request: RemoveContainerRequest; response: RemoveContainerResponse };
  ListContainers: { request: ListContainersRequest; response: ListContainersResponse };
  ContainerStatus: { request: ContainerStatusRequest; response: ContainerStatusResponse };
  UpdateContainerResources: { request: UpdateContainerResourcesRequest; response: UpdateContainerResourcesResponse };
  ReopenContainerLog: { request: ReopenContainerLogRequest; response: ReopenContainerLogResponse };
  ExecSync: { request: ExecSyncRequest; response: ExecSyncResponse };
  Exec: { request: ExecRequest; response: ExecResponse };
  Attach: { request: AttachRequest; response: AttachResponse };
  PortForward: { request: PortForwardRequest; response: PortForwardResponse };
  ContainerStats: { request: ContainerStatsRequest; response: ContainerStatsResponse };
  ListContainerStats: { request: ListContainerStatsRequest; response: ListContainerStatsResponse };
  PodSandboxStats: { request: PodSandboxStatsRequest; response: PodSandboxStatsResponse };
  ListPodSandboxStats: { request: ListPodSandboxStatsRequest; response: ListPodSandboxStatsResponse };
  UpdateRuntimeConfig: { request: UpdateRuntimeConfigRequest; response: UpdateRuntimeConfigResponse };
  Status: { request: StatusRequest; response: StatusResponse };
  CheckpointContainer: { request: CheckpointContainerRequest; response: CheckpointContainerResponse };
  GetContainerEvents: { request: GetEventsRequest; response: ContainerEventResponse };
  ListMetricDescriptors: { request: ListMetricDescriptorsRequest; response: ListMetricDescriptorsResponse };
  ListPodSandboxMetrics: { request: ListPodSandboxMetricsRequest; response: ListPodSandboxMetricsResponse };
  RuntimeConfig: { request: RuntimeConfigRequest; response: RuntimeConfigResponse };
  UpdatePodSandboxResources: { request: UpdatePodSandboxResourcesRequest; response: UpdatePodSandboxResourcesResponse };
  ListImages: { request: ListImagesRequest; response: ListImagesResponse };
  ImageStatus: { request: ImageStatusRequest; response: ImageStatusResponse };
  PullImage: { request: PullImageRequest; response: PullImageResponse };
  RemoveImage: { request: RemoveImageRequest; response: RemoveImageResponse };
  ImageFsInfo: { request: ImageFsInfoRequest; response: ImageFsInfoResponse };
}
