import assert from 'node:assert/strict';
import { defaults } from '../proto/codec';
import { NamespaceMode } from '../proto/types';
import { checkContainerSupported, checkPodSupported } from './unsupported';

describe('cri/runtime unsupported requests', () => {
  const pod = (ns: Partial<Record<'network' | 'pid' | 'ipc', NamespaceMode>>, privileged = false) => ({
    ...defaults('PodSandboxConfig'),
    linux: { ...defaults('LinuxPodSandboxConfig'), security_context: { ...defaults('LinuxSandboxSecurityContext'), privileged, namespace_options: { ...defaults('NamespaceOption'), ...ns } } },
  });
  const container = (privileged: boolean, pid = NamespaceMode.CONTAINER) => ({
    ...defaults('ContainerConfig'),
    linux: { ...defaults('LinuxContainerConfig'), security_context: { ...defaults('LinuxContainerSecurityContext'), privileged, namespace_options: { ...defaults('NamespaceOption'), pid } } },
  });

  it('refuses the node\'s namespaces, naming them', () => {
    checkPodSupported(defaults('PodSandboxConfig'));
    checkPodSupported(pod({ network: NamespaceMode.POD, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD }));
    assert.throws(() => checkPodSupported(pod({ network: NamespaceMode.NODE })), /^CriError: the pod asks for the node's network namespace \(hostNetwork\): a tsvisor sandbox has its own kernel/);
    assert.throws(() => checkPodSupported(pod({ pid: NamespaceMode.NODE, ipc: NamespaceMode.NODE })), /node's pid, ipc namespace \(hostPID, hostIPC\)/);
    assert.throws(() => checkContainerSupported(container(false, NamespaceMode.NODE)), /the container asks for the node's pid namespace/);
  });

  it('a privileged pod is accepted, a privileged container is refused', () => {
    checkPodSupported(pod({}, true));
    checkContainerSupported(container(false));
    checkContainerSupported(defaults('ContainerConfig'));
    assert.throws(() => checkContainerSupported(container(true)), /privileged containers are not supported/);
  });
});
