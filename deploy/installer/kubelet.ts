/**
 * Pointing kubelet at tsvisor (only when the chart says so): its
 * KubeletConfiguration's `containerRuntimeEndpoint` becomes tsvisor's socket
 * and the old endpoint becomes tsvisor's `--upstream`. The original file is
 * kept byte for byte and put back on uninstall.
 */
import { isMap, parseDocument } from 'yaml';

/** kubelet's own default when the file names no endpoint (KubeletConfiguration v1beta1). */
export const KUBELET_DEFAULT_ENDPOINT = 'unix:///run/containerd/containerd.sock';

export interface Repointed {
  /** The new file text. */
  text: string;
  /** The runtime kubelet used before: tsvisor's upstream. */
  previous: string;
}

/** kubelet's configured runtime endpoint. */
export function kubeletEndpoint(configText: string, file: string): string {
  const doc = parseDocument(configText);
  if (doc.errors.length > 0) throw new Error(`${file}: invalid YAML: ${doc.errors[0].message}`);
  if (!isMap(doc.contents)) throw new Error(`${file}: not a KubeletConfiguration (expected a mapping)`);
  if (doc.get('kind') !== 'KubeletConfiguration') throw new Error(`${file}: kind is ${String(doc.get('kind'))}, not KubeletConfiguration`);
  const endpoint = doc.get('containerRuntimeEndpoint');
  if (endpoint === undefined || endpoint === null || endpoint === '') return KUBELET_DEFAULT_ENDPOINT;
  if (typeof endpoint !== 'string') throw new Error(`${file}: containerRuntimeEndpoint is not a string`);
  return endpoint;
}

/** The file with `endpoint` as kubelet's runtime, comments and other keys untouched. */
export function repointKubelet(configText: string, endpoint: string, file: string): Repointed {
  const previous = kubeletEndpoint(configText, file);
  const doc = parseDocument(configText);
  doc.set('containerRuntimeEndpoint', endpoint);
  return { text: doc.toString(), previous };
}
