/**
 * The installer's settings (`installer.yaml` in the chart's ConfigMap): where
 * tsvisor goes on the node, how its service runs, which label marks the node
 * and whether kubelet is repointed. Unknown keys and wrong types are errors
 * naming the key: a typo must not silently install something else.
 */
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { NamespacesOf } from './host';

/** `systemd`: a unit; `process`: a detached host process with a pidfile; `auto`: systemd when it is PID 1. */
export type ServiceMode = 'auto' | 'systemd' | 'process';

export interface KubeletSettings {
  /** Repoint kubelet's runtime endpoint at tsvisor (its old endpoint becomes `upstream`). */
  configure: boolean;
  /** kubelet's KubeletConfiguration file on the node. */
  configFile: string;
  /** systemd unit restarted after the change. */
  unit: string;
}

export interface InstallerSettings {
  /** Where the node's own file system is mounted in the installer's container ("/" outside a pod). */
  hostRoot: string;
  /** Whose namespaces are the node's: PID 1's, or kubelet's where init hides them. */
  namespacesOf: NamespacesOf;
  /** tsvisor's tree on the node: dist, bin, node_modules, package.json, node. */
  installDir: string;
  /** Holds cri.yaml and the installer's records (kubelet backup, pidfile). */
  configDir: string;
  service: ServiceMode;
  /** Name of the systemd unit or of the process's pidfile/log. */
  serviceName: string;
  /** The node label set once tsvisor serves, e.g. tsvisor.dev/installed=true. */
  nodeLabel: { key: string; value: string };
  /** The runtime handler the node must report in node.status.runtimeHandlers. */
  handler: string;
  /** Seconds to wait for the service to answer and the node to report the handler. */
  readyTimeoutSec: number;
  kubelet: KubeletSettings;
}

export const DEFAULT_SETTINGS: Readonly<InstallerSettings> = Object.freeze({
  hostRoot: '/host',
  namespacesOf: 'init',
  installDir: '/opt/tsvisor',
  configDir: '/etc/tsvisor',
  service: 'auto',
  serviceName: 'tsvisor',
  nodeLabel: { key: 'tsvisor.dev/installed', value: 'true' },
  handler: 'gvisor',
  readyTimeoutSec: 120,
  kubelet: { configure: false, configFile: '/var/lib/kubelet/config.yaml', unit: 'kubelet' },
});

export class SettingsError extends Error {
  override name = 'SettingsError';
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || v === '') throw new SettingsError(`${where}: expected a non-empty string`);
  return v;
}

function anyAbsolute(v: unknown, where: string): string {
  const s = str(v, where);
  if (!path.isAbsolute(s)) throw new SettingsError(`${where}: expected an absolute path, got "${s}"`);
  return path.normalize(s);
}

/** A path the installer creates and removes: never the node's root. */
function absolute(v: unknown, where: string): string {
  const s = anyAbsolute(v, where);
  if (s === '/') throw new SettingsError(`${where}: must not be /`);
  return s;
}

/** A systemd unit / file name: no path separators, nothing the shell or systemd would interpret. */
function simpleName(v: unknown, where: string): string {
  const s = str(v, where);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/.test(s)) throw new SettingsError(`${where}: "${s}" is not a plain unit name`);
  return s;
}

// Kubernetes label syntax (apimachinery validation): optional DNS-subdomain prefix, a name, a value.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function labelKey(v: unknown, where: string): string {
  const s = str(v, where);
  const slash = s.indexOf('/');
  const [prefix, name] = slash < 0 ? [null, s] : [s.slice(0, slash), s.slice(slash + 1)];
  if ((prefix !== null && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) || !LABEL_NAME.test(name)) {
    throw new SettingsError(`${where}: "${s}" is not a valid label key`);
  }
  return s;
}

function labelValue(v: unknown, where: string): string {
  if (typeof v !== 'string' || (v !== '' && !LABEL_NAME.test(v))) throw new SettingsError(`${where}: expected a label value`);
  return v;
}

type Reader<T> = (v: unknown, where: string) => T;

/** Reads a mapping whose keys must all be known; missing keys keep their defaults. */
function section<T extends object>(doc: unknown, where: string, defaults: T, readers: { [K in keyof T]: Reader<T[K]> }): T {
  if (doc === undefined || doc === null) return { ...defaults };
  if (!isRecord(doc)) throw new SettingsError(`${where}: expected a mapping`);
  const out = { ...defaults };
  for (const [key, value] of Object.entries(doc)) {
    if (!Object.prototype.hasOwnProperty.call(readers, key)) {
      throw new SettingsError(`${where}: unknown key "${key}" (known: ${Object.keys(readers).join(', ')})`);
    }
    const k = key as keyof T;
    out[k] = readers[k](value, `${where}.${key}`);
  }
  return out;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new SettingsError(`${where}: expected true or false`);
  return v;
}

function timeout(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 3600) throw new SettingsError(`${where}: expected whole seconds 1-3600`);
  return v;
}

function namespacesOf(v: unknown, where: string): NamespacesOf {
  const s = str(v, where);
  if (s !== 'init' && s !== 'kubelet') throw new SettingsError(`${where}: expected init or kubelet, got "${s}"`);
  return s;
}

function serviceMode(v: unknown, where: string): ServiceMode {
  const s = str(v, where);
  if (s !== 'auto' && s !== 'systemd' && s !== 'process') throw new SettingsError(`${where}: expected auto, systemd or process, got "${s}"`);
  return s;
}

/** Parses installer.yaml text (`file` names it in errors). */
export function parseSettings(text: string, file: string): InstallerSettings {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new SettingsError(`${file}: invalid YAML: ${(e as Error).message}`);
  }
  const d = DEFAULT_SETTINGS;
  const settings = section<InstallerSettings>(doc, file, { ...d, nodeLabel: { ...d.nodeLabel }, kubelet: { ...d.kubelet } }, {
    hostRoot: anyAbsolute,
    namespacesOf,
    installDir: absolute,
    configDir: absolute,
    service: serviceMode,
    serviceName: simpleName,
    nodeLabel: (v, w) => section(v, w, d.nodeLabel, { key: labelKey, value: labelValue }),
    handler: str,
    readyTimeoutSec: timeout,
    kubelet: (v, w) => section(v, w, d.kubelet, { configure: bool, configFile: absolute, unit: simpleName }),
  });
  if (settings.installDir === settings.configDir) throw new SettingsError(`${file}: installDir and configDir must differ`);
  return settings;
}
