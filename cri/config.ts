/**
 * `tsvisor cri` configuration: defaults, then the YAML file (`--config`), then
 * flags. Every setting has a key and a flag; unknown keys and wrong types are
 * errors naming the key, never ignored.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { parseFlags, UsageError } from '../cli/flags';
import { NETWORK_MODES, type NetworkMode } from '../sentry/network';
import { parseMirrors } from './image/mirrors';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
/**
 * The pod Sentry's network mode (sentry/network.ts): `sandbox`, the
 * Sentry's own TCP/IP stack on the interface CNI put into the pod's network
 * namespace; `host`, CNI too, but the app's sockets are host sockets in
 * that namespace (less isolation); `none`, loopback only (CNI is not run).
 */
export type { NetworkMode };
/** hostNetwork pods: `allow` runs their Sentry in the node's network namespace in host mode; `refuse` rejects them. */
export type HostNetworkPods = 'allow' | 'refuse';

export interface CriConfig {
  /** Path of the unix socket kubelet connects to. */
  socket: string;
  /** Persistent state: images, pods, containers. */
  root: string;
  /** Runtime state: sandbox sockets, netns mounts. */
  stateDir: string;
  /** gRPC endpoint of the runtime that serves every other handler (`unix:///…`), or null. */
  upstream: string | null;
  /** Runtime handlers served by tsvisor. */
  handlers: string[];
  streaming: { address: string; port: number };
  cni: { confDir: string; binDirs: string[] };
  /** Parent cgroup of pods whose config names none. */
  cgroupParent: string;
  logLevel: LogLevel;
  network: NetworkMode;
  hostNetworkPods: HostNetworkPods;
  /** Registries (host[:port]) pulled from over plain HTTP. */
  insecureRegistries: string[];
  /** Extra CA bundle (PEM) trusted for registries, or null. */
  registryCaFile: string | null;
  /** Registry host → mirror URL that serves its images (see cri/image/mirrors.ts). */
  registryMirrors: Record<string, string>;
}

export const DEFAULT_CONFIG: Readonly<CriConfig> = Object.freeze({
  socket: '/run/tsvisor/cri.sock',
  root: '/var/lib/tsvisor',
  stateDir: '/run/tsvisor',
  upstream: null,
  handlers: ['gvisor'],
  streaming: { address: '127.0.0.1', port: 0 },
  cni: { confDir: '/etc/cni/net.d', binDirs: ['/opt/cni/bin', '/usr/lib/cni'] },
  cgroupParent: '/tsvisor',
  logLevel: 'info',
  network: 'sandbox',
  hostNetworkPods: 'allow',
  insecureRegistries: [],
  registryCaFile: null,
  registryMirrors: {},
});

export const CRI_USAGE = `tsvisor cri [flags]

  --config FILE              YAML file with any of the keys below (flags win)
  --socket PATH              socket: (default ${DEFAULT_CONFIG.socket})
  --root DIR                 root: persistent state (default ${DEFAULT_CONFIG.root})
  --state-dir DIR            stateDir: runtime state (default ${DEFAULT_CONFIG.stateDir})
  --upstream ENDPOINT        upstream: CRI endpoint for other runtime handlers,
                             e.g. unix:///run/containerd/containerd.sock
  --handlers A,B             handlers: runtime handlers run in tsvisor (default gvisor)
  --streaming-address ADDR   streaming.address (default ${DEFAULT_CONFIG.streaming.address})
  --streaming-port N         streaming.port (default 0: any free port)
  --cni-conf-dir DIR         cni.confDir (default ${DEFAULT_CONFIG.cni.confDir})
  --cni-bin-dirs A,B         cni.binDirs (default ${DEFAULT_CONFIG.cni.binDirs.join(',')})
  --cgroup-parent PATH       cgroupParent (default ${DEFAULT_CONFIG.cgroupParent})
  --log-level LEVEL          logLevel: error, warn, info or debug (default info)
  --network MODE             network: the pods' Sentry network mode: sandbox (its own
                             TCP/IP stack on the pod's CNI interface; default), host
                             (host sockets in the pod's namespace; less isolation)
                             or none (loopback only, no CNI)
  --host-network-pods allow|refuse
                             hostNetworkPods: pods asking for the node's network run
                             in host mode in the node's namespace (default allow;
                             less isolation, logged), or are refused
  --insecure-registries A,B  insecureRegistries: registries reached over HTTP
  --registry-ca-file FILE    registryCaFile: extra CA bundle for registries
  --registry-mirror H=URL,…  registryMirrors: pull images named under registry H
                             from URL (e.g. registry.k8s.io=http://127.0.0.1:5000)
`;

type Setter = (c: CriConfig, value: unknown, where: string) => void;

function expectString(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${where}: expected a non-empty string`);
  return value;
}

function expectList(value: unknown, where: string): string[] {
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new UsageError(`${where}: expected a list of non-empty strings`);
  }
  return value as string[];
}

function expectAbsolute(value: unknown, where: string): string {
  const s = expectString(value, where);
  if (!path.isAbsolute(s)) throw new UsageError(`${where}: expected an absolute path, got "${s}"`);
  return path.normalize(s);
}

function expectOneOf<T extends string>(choices: readonly T[]) {
  return (value: unknown, where: string): T => {
    const s = expectString(value, where);
    if (!(choices as readonly string[]).includes(s)) throw new UsageError(`${where}: expected one of ${choices.join(', ')}, got "${s}"`);
    return s as T;
  };
}

function expectPort(value: unknown, where: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UsageError(`${where}: expected a port number 0-65535`);
  }
  return n;
}

/** `/path` and `unix:/path` mean `unix:///path`; other targets pass to grpc-js as they are. */
export function normalizeEndpoint(value: unknown, where: string): string {
  const s = expectString(value, where);
  if (path.isAbsolute(s)) return `unix://${s}`;
  if (s.startsWith('unix://')) {
    if (!path.isAbsolute(s.slice('unix://'.length))) throw new UsageError(`${where}: expected unix:///absolute/path, got "${s}"`);
    return s;
  }
  if (s.startsWith('unix:')) return normalizeEndpoint(s.slice('unix:'.length), where);
  return s;
}

/** A mapping of registry host → mirror URL; a flag gives `HOST=URL` pairs separated by commas. */
function mirrorMap(value: unknown, where: string): Record<string, string> {
  let map: Record<string, unknown>;
  if (typeof value === 'string') {
    map = {};
    for (const pair of expectList(value, where)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`${where}: expected HOST=URL, got "${pair}"`);
      map[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  } else if (isRecord(value)) {
    map = value;
  } else {
    throw new UsageError(`${where}: expected a mapping of registry host to mirror URL`);
  }
  const out: Record<string, string> = {};
  for (const [host, url] of Object.entries(map)) out[host] = expectString(url, `${where}: ${host}`);
  try {
    parseMirrors(out);
  } catch (e) {
    throw new UsageError(`${where}: ${(e as Error).message}`);
  }
  return out;
}

function handlerList(value: unknown, where: string): string[] {
  const list = expectList(value, where);
  if (list.length === 0) throw new UsageError(`${where}: at least one runtime handler is needed`);
  // "" is the node's default handler: it stays with the upstream.
  return list;
}

/** Config keys in the file ("streaming.port") and their flags share setters. */
const KEYS: Record<string, { flag: string; set: Setter }> = {
  socket: { flag: 'socket', set: (c, v, w) => (c.socket = expectAbsolute(v, w)) },
  root: { flag: 'root', set: (c, v, w) => (c.root = expectAbsolute(v, w)) },
  stateDir: { flag: 'state-dir', set: (c, v, w) => (c.stateDir = expectAbsolute(v, w)) },
  upstream: { flag: 'upstream', set: (c, v, w) => (c.upstream = v === null ? null : normalizeEndpoint(v, w)) },
  handlers: { flag: 'handlers', set: (c, v, w) => (c.handlers = handlerList(v, w)) },
  'streaming.address': { flag: 'streaming-address', set: (c, v, w) => (c.streaming.address = expectString(v, w)) },
  'streaming.port': { flag: 'streaming-port', set: (c, v, w) => (c.streaming.port = expectPort(v, w)) },
  'cni.confDir': { flag: 'cni-conf-dir', set: (c, v, w) => (c.cni.confDir = expectAbsolute(v, w)) },
  'cni.binDirs': {
    flag: 'cni-bin-dirs',
    set: (c, v, w) => (c.cni.binDirs = expectList(v, w).map((d, i) => expectAbsolute(d, `${w}[${i}]`))),
  },
  cgroupParent: { flag: 'cgroup-parent', set: (c, v, w) => (c.cgroupParent = expectAbsolute(v, w)) },
  logLevel: { flag: 'log-level', set: (c, v, w) => (c.logLevel = expectOneOf<LogLevel>(['error', 'warn', 'info', 'debug'])(v, w)) },
  network: { flag: 'network', set: (c, v, w) => (c.network = expectOneOf<NetworkMode>(NETWORK_MODES)(v, w)) },
  hostNetworkPods: { flag: 'host-network-pods', set: (c, v, w) => (c.hostNetworkPods = expectOneOf<HostNetworkPods>(['allow', 'refuse'])(v, w)) },
  insecureRegistries: { flag: 'insecure-registries', set: (c, v, w) => (c.insecureRegistries = expectList(v, w)) },
  registryCaFile: {
    flag: 'registry-ca-file',
    set: (c, v, w) => (c.registryCaFile = v === null ? null : expectAbsolute(v, w)),
  },
  registryMirrors: { flag: 'registry-mirror', set: (c, v, w) => (c.registryMirrors = mirrorMap(v, w)) },
};

const SECTIONS = new Set(['streaming', 'cni']);

function copyDefaults(): CriConfig {
  return structuredClone(DEFAULT_CONFIG) as CriConfig;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Applies a parsed YAML document; `file` names it in errors. */
export function applyYaml(config: CriConfig, doc: unknown, file: string): void {
  if (doc === null || doc === undefined) return; // an empty file
  if (!isRecord(doc)) throw new UsageError(`${file}: expected a mapping of settings`);
  for (const [key, value] of Object.entries(doc)) {
    if (SECTIONS.has(key)) {
      if (!isRecord(value)) throw new UsageError(`${file}: ${key}: expected a mapping`);
      for (const [sub, v] of Object.entries(value)) applyKey(config, `${key}.${sub}`, v, file);
    } else {
      applyKey(config, key, value, file);
    }
  }
}

function applyKey(config: CriConfig, key: string, value: unknown, file: string): void {
  const entry = KEYS[key];
  if (!entry) throw new UsageError(`${file}: unknown key "${key}" (known: ${Object.keys(KEYS).join(', ')})`);
  entry.set(config, value, `${file}: ${key}`);
}

const FLAG_SPEC = {
  boolean: new Set<string>(),
  valued: new Set(['config', ...Object.values(KEYS).map((k) => k.flag)]),
};

/** Builds the configuration from `tsvisor cri` arguments. */
export function loadConfig(args: readonly string[]): CriConfig {
  const { flags, rest } = parseFlags(args, FLAG_SPEC);
  if (rest.length > 0) throw new UsageError(`unexpected argument: ${rest[0]}`);
  const config = copyDefaults();
  const file = flags.get('config');
  if (typeof file === 'string') {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read config ${file}: ${(e as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new UsageError(`${file}: invalid YAML: ${(e as Error).message}`);
    }
    applyYaml(config, doc, file);
  }
  for (const { flag, set } of Object.values(KEYS)) {
    const value = flags.get(flag);
    if (typeof value === 'string') set(config, value, `--${flag}`);
  }
  return config;
}
