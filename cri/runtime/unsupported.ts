/**
 * What a tsvisor sandbox cannot give, refused with the reason rather than
 * silently ignored: a pod that asked for the node's PID or IPC namespace or
 * a privileged container would otherwise run with less than it asked for.
 * The node's network is the exception: a hostNetwork pod's Sentry runs in
 * the node's network namespace in host mode (unless the configuration
 * refuses such pods), so its apps' sockets are the node's.
 */
import { NamespaceMode, type ContainerConfig, type NamespaceOption, type PodSandboxConfig } from '../proto/types';
import { invalidArgument } from '../server/errors';

/** Whether the pod asked for the node's network namespace (Kubernetes' hostNetwork). */
export function usesHostNetwork(config: PodSandboxConfig): boolean {
  return config.linux?.security_context?.namespace_options?.network === NamespaceMode.NODE;
}

/** The node's namespaces, by what Kubernetes calls them; `network` is refused unless `networkAllowed`. */
function refuseNodeNamespaces(ns: NamespaceOption | null | undefined, where: string, networkAllowed: boolean): void {
  const asked = (['network', 'pid', 'ipc'] as const).filter((k) => ns?.[k] === NamespaceMode.NODE && !(k === 'network' && networkAllowed));
  if (asked.length === 0) return;
  const names = asked.map((k) => ({ network: 'hostNetwork', pid: 'hostPID', ipc: 'hostIPC' })[k]).join(', ');
  const why = asked.includes('network') && asked.length === 1
    ? 'this tsvisor is configured to refuse hostNetwork pods (hostNetworkPods: refuse)'
    : "a tsvisor sandbox has its own kernel and cannot share the host's";
  throw invalidArgument(`${where} asks for the node's ${asked.join(', ')} namespace (${names}): ${why}; use another runtime handler`);
}

/** `hostNetworkAllowed`: the configuration lets hostNetwork pods run (hostNetworkPods: allow). */
export function checkPodSupported(config: PodSandboxConfig, hostNetworkAllowed: boolean): void {
  refuseNodeNamespaces(config.linux?.security_context?.namespace_options, 'the pod', hostNetworkAllowed);
}

/** A container may share the node's network only in a pod that does (kubelet copies the pod's choice). */
export function checkContainerSupported(config: ContainerConfig, pod: PodSandboxConfig): void {
  const sc = config.linux?.security_context;
  if (sc?.privileged) {
    throw invalidArgument('privileged containers are not supported: a tsvisor sandbox gives no access to host devices or host kernel settings; use another runtime handler');
  }
  refuseNodeNamespaces(sc?.namespace_options, 'the container', usesHostNetwork(pod));
}
