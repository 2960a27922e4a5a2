import assert from 'node:assert/strict';
import { defaults } from '../proto/codec';
import { NamespaceMode } from '../proto/types';
import { checkContainerSupported, checkPodSupported } from './unsupported';

describe('cri/runtime unsupported requests', () => {
  const pod = (ns: Partial<Record<'network' | 'pid' | 'ipc', NamespaceMode>>, privileged = false) => ({
    ...defaults('PodSandboxConfig'),
    linux: { ...defaults('LinuxPodSandboxConfig'), security_context: { ...defaults('LinuxSandboxSecurityContext'), privileged, namespace_options: { ...defaults('NamespaceOption'), ...ns } } },
  });
  const container = (privileged: boolean, pid = NamespaceMode.CONTAINER, network = NamespaceMode.POD) => ({
    ...defaults('ContainerConfig'),
    linux: { ...defaults('LinuxContainerConfig'), security_context: { ...defaults('LinuxContainerSecurityContext'), privileged, namespace_options: { ...defaults('NamespaceOption'), pid, network } } },
  });

  it('refuses the node\'s PID and IPC namespaces, naming them; the node\'s network only when configured to', () => {
    checkPodSupported(defaults('PodSandboxConfig'), false);
    checkPodSupported(pod({ network: NamespaceMode.POD, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD }), false);
    checkPodSupported(pod({ network: NamespaceMode.NODE }), true);
    assert.throws(() => checkPodSupported(pod({ network: NamespaceMode.NODE }), false), /^CriError: the pod asks for the node's network namespace \(hostNetwork\): this tsvisor is configured to refuse hostNetwork pods/);
    assert.throws(() => checkPodSupported(pod({ pid: NamespaceMode.NODE, ipc: NamespaceMode.NODE }), true), /node's pid, ipc namespace \(hostPID, hostIPC\): a tsvisor sandbox has its own kernel/);
    assert.throws(() => checkPodSupported(pod({ network: NamespaceMode.NODE, pid: NamespaceMode.NODE }), false), /node's network, pid namespace \(hostNetwork, hostPID\)/);
    assert.throws(() => checkContainerSupported(container(false, NamespaceMode.NODE), defaults('PodSandboxConfig')), /the container asks for the node's pid namespace/);
  });

  it('a container shares the node\'s network only in a hostNetwork pod', () => {
    const hostNet = container(false, NamespaceMode.CONTAINER, NamespaceMode.NODE);
    checkContainerSupported(hostNet, pod({ network: NamespaceMode.NODE }));
    assert.throws(() => checkContainerSupported(hostNet, pod({})), /the container asks for the node's network namespace/);
  });

  it('a privileged pod is accepted, a privileged container is refused', () => {
    checkPodSupported(pod({}, true), false);
    checkContainerSupported(container(false), pod({}));
    checkContainerSupported(defaults('ContainerConfig'), pod({}));
    assert.throws(() => checkContainerSupported(container(true), pod({})), /privileged containers are not supported/);
  });
});
