// The runtime side of CNI (containernetworking/cni SPEC.md): runs the plugins of the
// node's network configuration to attach a pod's network namespace, and detaches it
// again, also after a server restart, from what ADD left in the cache.
import * as fs from 'fs';
import * as path from 'path';
import { assertSafeName } from './names';
import { loadNetConf, NetConfList, PluginConf } from './cni-config';
import { netnsExists } from './netns';
import { run } from './run';

export interface CniPortMapping { protocol: 'tcp' | 'udp' | 'sctp'; container_port: number; host_port: number; host_ip: string }

export interface CniPodInfo {
  id: string; name: string; namespace: string; uid: string; netnsPath: string;
  ifName?: string;
  portMappings?: CniPortMapping[];
}

export interface CniAttachment {
  /** Addresses without prefix length, IPv4 first. */
  ips: string[];
  /** The same addresses with their prefix length (CIDR), as ADD put them on the pod interface. */
  cidrs: string[];
  interfaces: Array<{ name: string; mac?: string; sandbox?: string }>;
  /** The final ADD result, the prevResult of DEL. */
  raw: unknown;
}

export interface CniOptions { confDir?: string; binDirs?: string[]; cacheDir: string; timeoutMs?: number }

/** What DEL needs, persisted before the first ADD so a crash mid-ADD can still be undone. */
interface CacheEntry {
  version: 1;
  net: NetConfList;
  containerId: string;
  ifName: string;
  netnsPath: string;
  cniArgs: string;
  portMappings: CniPortMapping[];
  result?: unknown;
}

interface Invocation { containerId: string; netnsPath: string; ifName: string; cniArgs: string; portMappings: CniPortMapping[] }

const LOOPBACK_NET = 'cni-loopback';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The pod's addresses from a CNI result: those on the sandbox interface `ifName`, IPv4 first. */
export function attachmentFromResult(result: unknown, ifName: string): CniAttachment {
  if (!isObject(result)) throw new Error('CNI result is not a JSON object');
  const interfaces = (Array.isArray(result.interfaces) ? result.interfaces : []).filter(isObject).map((i) => ({
    name: String(i.name),
    ...(typeof i.mac === 'string' ? { mac: i.mac } : {}),
    ...(typeof i.sandbox === 'string' && i.sandbox !== '' ? { sandbox: i.sandbox } : {}),
  }));
  const ipEntries = (Array.isArray(result.ips) ? result.ips : []).filter(isObject);
  const onPodIf = ipEntries.filter((e) => {
    const itf = typeof e.interface === 'number' ? interfaces[e.interface] : undefined;
    return itf !== undefined && itf.sandbox !== undefined && itf.name === ifName;
  });
  const chosen = (onPodIf.length > 0 ? onPodIf : ipEntries)
    .map((e) => String(e.address))
    .filter((a) => a.split('/')[0] !== '' && a !== 'undefined');
  const cidrs = [...chosen.filter((a) => !a.includes(':')), ...chosen.filter((a) => a.includes(':'))];
  return { ips: cidrs.map((a) => a.split('/')[0]), cidrs, interfaces, raw: result };
}

/**
 * Puts the pod's addresses back on its interface before DEL: the bridge
 * plugin finds what to undo (its ipMasq rules) from the addresses the
 * interface has, and the pod's Sentry took them from the host stack of the
 * pod's namespace (sandbox network mode; it cannot give them back itself,
 * having dropped CAP_NET_ADMIN). An address still there is left alone.
 */
async function restoreAddresses(netnsPath: string, ifName: string, result: unknown): Promise<void> {
  let cidrs: string[];
  try {
    cidrs = attachmentFromResult(result, ifName).cidrs.filter((c) => c.includes('/'));
  } catch {
    return; // no usable ADD result: nothing to put back
  }
  for (const cidr of cidrs) {
    await run('nsenter', [`--net=${netnsPath}`, 'ip', 'addr', 'replace', cidr, 'dev', ifName]);
  }
}

function cniArgsOf(pod: CniPodInfo): string {
  const pairs: Array<[string, string]> = [
    ['K8S_POD_NAMESPACE', pod.namespace], ['K8S_POD_NAME', pod.name],
    ['K8S_POD_INFRA_CONTAINER_ID', pod.id], ['K8S_POD_UID', pod.uid],
  ];
  for (const [k, v] of pairs) {
    if (/[;=\0\n]/.test(v)) throw new Error(`invalid ${k} ${JSON.stringify(v)} for CNI_ARGS: contains ';', '=', NUL or a newline`);
  }
  return ['IgnoreUnknown=1', ...pairs.map(([k, v]) => `${k}=${v}`)].join(';');
}

export class Cni {
  private readonly confDir: string;
  private readonly binDirs: string[];
  private readonly cacheDir: string;
  private readonly timeoutMs: number;

  constructor(opts: CniOptions) {
    this.confDir = opts.confDir ?? '/etc/cni/net.d';
    this.binDirs = opts.binDirs ?? ['/opt/cni/bin', '/usr/lib/cni'];
    this.cacheDir = opts.cacheDir;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** Ready when a valid network config exists and every plugin it names is installed. */
  status(): { ready: boolean; reason?: string; message?: string } {
    try {
      const net = loadNetConf(this.confDir);
      for (const p of [...net.plugins, { type: 'loopback' }]) this.findPlugin(p.type);
      return { ready: true };
    } catch (e) {
      return { ready: false, reason: 'NetworkPluginNotReady', message: `cni plugin not initialized: ${(e as Error).message}` };
    }
  }

  /** ADDs `lo` (loopback plugin) and then `ifName` through every plugin of the network, in order. */
  async setUp(pod: CniPodInfo): Promise<CniAttachment> {
    assertSafeName('pod sandbox id', pod.id);
    const net = loadNetConf(this.confDir);
    const inv: Invocation = {
      containerId: pod.id, netnsPath: pod.netnsPath, ifName: pod.ifName ?? 'eth0',
      cniArgs: cniArgsOf(pod), portMappings: pod.portMappings ?? [],
    };
    if (!netnsExists(inv.netnsPath)) throw new Error(`network namespace ${inv.netnsPath} does not exist`);
    const entry: CacheEntry = { version: 1, net, ...inv };
    this.writeCache(entry);
    let result: unknown;
    try {
      await this.exec('ADD', this.loopbackNet(net), this.loopbackNet(net).plugins[0], { ...inv, ifName: 'lo' });
      for (const plugin of net.plugins) result = await this.exec('ADD', net, plugin, inv, result);
      if (result === undefined) throw new Error(`network ${net.name}: the plugins returned no result`);
      const attachment = attachmentFromResult(result, inv.ifName);
      this.writeCache({ ...entry, result });
      return attachment;
    } catch (e) {
      const msg = `CNI setup of pod ${pod.id} on network ${net.name} (${net.file}) failed: ${(e as Error).message}`;
      try {
        await this.del({ ...entry, result });
      } catch (rollback) {
        throw new Error(`${msg}; rolling back also failed: ${(rollback as Error).message}`);
      }
      throw new Error(msg);
    }
  }

  /** DELs the attachment in reverse order with the ADD result as prevResult. Idempotent;
   *  works from the cache after a restart. Without a cache entry, `attachment` (if any)
   *  is deleted with the current network config. */
  async tearDown(pod: CniPodInfo, attachment?: CniAttachment): Promise<void> {
    assertSafeName('pod sandbox id', pod.id);
    let entry = this.readCache(pod.id);
    if (entry === undefined) {
      if (attachment === undefined) return;
      entry = {
        version: 1, net: loadNetConf(this.confDir), containerId: pod.id, netnsPath: pod.netnsPath,
        ifName: pod.ifName ?? 'eth0', cniArgs: cniArgsOf(pod), portMappings: pod.portMappings ?? [], result: attachment.raw,
      };
    } else if (entry.result === undefined && attachment !== undefined) {
      entry = { ...entry, result: attachment.raw };
    }
    await this.del(entry);
  }

  private async del(entry: CacheEntry): Promise<void> {
    // A namespace already gone leaves nothing to undo inside it; plugins still release
    // host resources (IPAM leases, iptables rules) with an empty CNI_NETNS.
    const inv: Invocation = { ...entry, netnsPath: netnsExists(entry.netnsPath) ? entry.netnsPath : '' };
    if (inv.netnsPath !== '' && entry.result !== undefined) await restoreAddresses(inv.netnsPath, entry.ifName, entry.result);
    const failures: string[] = [];
    for (const plugin of [...entry.net.plugins].reverse()) {
      if (this.tryFindPlugin(plugin.type) === undefined) continue; // never ran: nothing to undo
      try {
        await this.exec('DEL', entry.net, plugin, inv, entry.result);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    const lo = this.loopbackNet(entry.net);
    if (this.tryFindPlugin('loopback') !== undefined) {
      try {
        await this.exec('DEL', lo, lo.plugins[0], { ...inv, ifName: 'lo' });
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    if (failures.length > 0) throw new Error(`CNI teardown of ${entry.containerId}: ${failures.join('; ')}`);
    fs.rmSync(this.cachePath(entry.containerId), { force: true });
  }

  private loopbackNet(net: NetConfList): NetConfList {
    return { cniVersion: net.cniVersion, name: LOOPBACK_NET, plugins: [{ type: 'loopback' }], file: '(built-in loopback)' };
  }

  private tryFindPlugin(type: string): string | undefined {
    for (const dir of this.binDirs) {
      const p = path.join(dir, type);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        if (fs.statSync(p).isFile()) return p;
      } catch {
        // not in this directory
      }
    }
    return undefined;
  }

  private findPlugin(type: string): string {
    const p = this.tryFindPlugin(type);
    if (p === undefined) throw new Error(`CNI plugin "${type}" not found in ${this.binDirs.join(', ')}`);
    return p;
  }

  /** Runs one plugin (SPEC.md section 2) and returns its parsed result (ADD) or undefined. */
  private async exec(cmd: 'ADD' | 'DEL', net: NetConfList, plugin: PluginConf, inv: Invocation, prevResult?: unknown): Promise<unknown> {
    const bin = this.findPlugin(plugin.type);
    const conf: Record<string, unknown> = { ...plugin, cniVersion: net.cniVersion, name: net.name };
    const runtimeConfig = this.runtimeConfig(plugin, inv);
    if (runtimeConfig !== undefined) conf.runtimeConfig = runtimeConfig;
    if (prevResult !== undefined) conf.prevResult = prevResult;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CNI_COMMAND: cmd, CNI_CONTAINERID: inv.containerId, CNI_NETNS: inv.netnsPath,
      CNI_IFNAME: inv.ifName, CNI_ARGS: inv.cniArgs, CNI_PATH: this.binDirs.join(':'),
    };
    const r = await run(bin, [], { input: JSON.stringify(conf), env, timeoutMs: this.timeoutMs });
    const what = `plugin ${plugin.type} ${cmd} (${inv.ifName})`;
    if (r.code !== 0) {
      let detail = r.stderr.trim() || (r.signal ? `killed by ${r.signal}` : `exit ${r.code}`);
      try {
        const e: unknown = JSON.parse(r.stdout);
        if (isObject(e) && typeof e.msg === 'string') {
          detail = `${e.msg}${typeof e.details === 'string' && e.details !== '' ? `: ${e.details}` : ''} (code ${String(e.code)})`;
        }
      } catch {
        // not a CNI error object: keep stderr
      }
      throw new Error(`${what}: ${detail}`);
    }
    if (cmd !== 'ADD') return undefined;
    let result: unknown;
    try {
      result = JSON.parse(r.stdout);
    } catch {
      throw new Error(`${what}: result is not JSON: ${JSON.stringify(r.stdout.slice(0, 200))}`);
    }
    if (!isObject(result)) throw new Error(`${what}: result is not a JSON object`);
    return result;
  }

  /** Capability arguments a plugin asked for (SPEC.md "Deriving runtimeConfig"). */
  private runtimeConfig(plugin: PluginConf, inv: Invocation): Record<string, unknown> | undefined {
    const caps = isObject(plugin.capabilities) ? plugin.capabilities : {};
    const mappings = inv.portMappings.filter((m) => m.host_port > 0);
    if (caps.portMappings !== true || mappings.length === 0) return undefined;
    return {
      portMappings: mappings.map((m) => ({ hostPort: m.host_port, containerPort: m.container_port, protocol: m.protocol, hostIP: m.host_ip })),
    };
  }

  private cachePath(id: string): string {
    return path.join(this.cacheDir, `${id}.json`);
  }

  private writeCache(entry: CacheEntry): void {
    fs.mkdirSync(this.cacheDir, { recursive: true, mode: 0o700 });
    const p = this.cachePath(entry.containerId);
    const tmp = `${p}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    fs.renameSync(tmp, p);
  }

  private readCache(id: string): CacheEntry | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.cachePath(id), 'utf8');
    } catch {
      return undefined;
    }
    let e: unknown;
    try {
      e = JSON.parse(text);
    } catch {
      e = undefined;
    }
    if (!isObject(e) || e.version !== 1 || !isObject(e.net)) throw new Error(`CNI cache ${this.cachePath(id)} is not a version 1 entry`);
    return e as unknown as CacheEntry;
  }
}
