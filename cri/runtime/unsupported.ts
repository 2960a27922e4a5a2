/**
 * What a tsvisor sandbox cannot give, refused with the reason rather than
 * silently ignored: a pod that asked for the node's namespaces or a
 * privileged container would otherwise run with less than it asked for.
 */
import { NamespaceMode, type ContainerConfig, type NamespaceOption, type PodSandboxConfig } from '../proto/types';
import { invalidArgument } from '../server/errors';

/** The node's namespaces, by what Kubernetes calls them. */
function refuseNodeNamespaces(ns: NamespaceOption | null | undefined, where: string): void {
  const asked = (['network', 'pid', 'ipc'] as const).filter((k) => ns?.[k] === NamespaceMode.NODE);
  if (asked.length === 0) return;
  const names = asked.map((k) => ({ network: 'hostNetwork', pid: 'hostPID', ipc: 'hostIPC' })[k]).join(', ');
  throw invalidArgument(
    `${where} asks for the node's ${asked.join(', ')} namespace (${names}): a tsvisor sandbox has its own kernel and cannot share the host's; use another runtime handler`,
  );
}

export function checkPodSupported(config: PodSandboxConfig): void {
  refuseNodeNamespaces(config.linux?.security_context?.namespace_options, 'the pod');
}

export function checkContainerSupported(config: ContainerConfig): void {
  const sc = config.linux?.security_context;
  if (sc?.privileged) {
    throw invalidArgument('privileged containers are not supported: a tsvisor sandbox gives no access to host devices or host kernel settings; use another runtime handler');
  }
  refuseNodeNamespaces(sc?.namespace_options, 'the container');
}
