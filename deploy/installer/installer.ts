/**
 * Installing tsvisor on a node and restoring the node afterwards.
 *
 * install:   copy the tree → write cri.yaml → start the service → wait until
 *            its CRI Status is ready and lists the handler → (repoint
 *            kubelet) → wait until the Node reports the handler → label it.
 * uninstall: the same backwards: label off → kubelet's own config back →
 *            service stopped and removed → runtime state (when no pod is
 *            left), config and tree removed.
 *
 * Each step checks what is there first, so running either twice is the same
 * as running it once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { type CriConfig, loadConfig } from '../../cri/config';
import { encodeRequest, decodeResponse } from '../../cri/proto/codec';
import { Upstream } from '../../cri/server/upstream';
import { installTree } from './files';
import { type Host, runOk } from './host';
import { kubeletEndpoint, repointKubelet } from './kubelet';
import type { NodeView } from './kube';
import { type NodeService, ProcessService, SystemdService } from './service';
import type { InstallerSettings } from './settings';

/** The node API the installer needs (kube.ts in a pod, a recorder in tests). */
export interface NodeApi {
  node(name: string): Promise<NodeView>;
  label(node: string, key: string, value: string | null): Promise<void>;
}

export interface InstallerContext {
  settings: InstallerSettings;
  host: Host;
  /** The tsvisor tree to install from (this installer's own) and the Node binary to install. */
  tree: string;
  node: string;
  /** `tsvisor cri` configuration (cri.yaml) as the chart rendered it. */
  criConfig: string;
  /** The node's object in the cluster; null on a plain host (no label, no handler check). */
  cluster: { api: NodeApi; nodeName: string } | null;
  log: (msg: string) => void;
}

const criConfigPath = (s: InstallerSettings) => path.join(s.configDir, 'cri.yaml');
const kubeletBackupPath = (s: InstallerSettings) => path.join(s.configDir, 'kubelet-config.orig');

export function nodeService(c: InstallerContext): NodeService {
  const { settings: s, host } = c;
  const spec = { name: s.serviceName, installDir: s.installDir, configFile: criConfigPath(s) };
  // sd_booted(): systemd is the init when /run/systemd/system exists.
  const systemd = s.service === 'systemd' || (s.service === 'auto' && fs.existsSync(host.path('/run/systemd/system')));
  return systemd ? new SystemdService(host, spec) : new ProcessService(host, spec);
}

/** Writes `text` unless the file already holds it; true when it wrote. */
function writeIfChanged(file: string, text: string, mode = 0o644): boolean {
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  fs.writeFileSync(`${file}.tsvisor-new`, text, { mode });
  fs.renameSync(`${file}.tsvisor-new`, file);
  return true;
}

/** cri.yaml for the node: the chart's, plus kubelet's previous runtime as upstream when we repoint kubelet. */
function nodeCriConfig(c: InstallerContext): string {
  const doc: unknown = parseYaml(c.criConfig) ?? {};
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('cri.yaml: expected a mapping of settings');
  const settings = doc as Record<string, unknown>;
  const k = c.settings.kubelet;
  if (k.configure && settings.upstream === undefined) {
    // After a first run the live file points at us: the backup holds kubelet's own runtime.
    const backup = c.host.path(kubeletBackupPath(c.settings));
    const original = fs.existsSync(backup) ? backup : c.host.path(k.configFile);
    settings.upstream = kubeletEndpoint(fs.readFileSync(original, 'utf8'), k.configFile);
  }
  return stringify(settings);
}

/** The configuration `tsvisor cri` will run with, checked by its own parser (errors name the key). */
function checkedCriConfig(c: InstallerContext): CriConfig {
  return loadConfig(['--config', c.host.path(criConfigPath(c.settings))]);
}

async function until<T>(what: string, timeoutSec: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutSec * 1000;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== null) return v;
    } catch (e) {
      last = ` (last error: ${(e as Error).message})`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutSec} s waiting for ${what}${last}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The server's Status: ready, and serving `handler`; its handler names. */
export async function criHandlers(socket: string): Promise<{ ready: boolean; handlers: string[] }> {
  const client = new Upstream(`unix://${socket}`);
  try {
    const bytes = await client.unary('/runtime.v1.RuntimeService/Status', encodeRequest('Status', { verbose: false }), Date.now() + 5000);
    const res = decodeResponse('Status', bytes);
    const ready = res.status?.conditions.some((cond) => cond.type === 'RuntimeReady' && cond.status) ?? false;
    return { ready, handlers: res.runtime_handlers.map((h) => h.name) };
  } finally {
    client.close();
  }
}

export async function install(c: InstallerContext): Promise<void> {
  const { settings: s, host, log } = c;
  let changed = installTree(c.tree, c.node, host.path(s.installDir));
  log(`${s.installDir}: ${changed === 0 ? 'up to date' : `${changed} changes`}`);
  if (writeIfChanged(host.path(criConfigPath(s)), nodeCriConfig(c))) changed++;
  const config = checkedCriConfig(c);

  const service = nodeService(c);
  await service.start(changed > 0);
  log(`${service.kind} service ${s.serviceName} running`);
  await until(`tsvisor cri on ${config.socket} to be ready with handler ${s.handler} (see ${service.logHint()})`, s.readyTimeoutSec, async () => {
    const st = await criHandlers(host.path(config.socket));
    return st.ready && st.handlers.includes(s.handler) ? st : null;
  });

  if (s.kubelet.configure) await pointKubelet(c, config.socket);
  if (c.cluster === null) return;
  const { api, nodeName } = c.cluster;
  await until(`node ${nodeName} to report runtime handler ${s.handler} (is kubelet's runtime endpoint tsvisor?)`, s.readyTimeoutSec, async () =>
    (await api.node(nodeName)).runtimeHandlers.includes(s.handler) ? true : null,
  );
  await api.label(nodeName, s.nodeLabel.key, s.nodeLabel.value);
  log(`node ${nodeName} reports handler ${s.handler}; labelled ${s.nodeLabel.key}=${s.nodeLabel.value}`);
}

async function pointKubelet(c: InstallerContext, socket: string): Promise<void> {
  const { settings: s, host } = c;
  const backup = host.path(kubeletBackupPath(s));
  if (fs.existsSync(backup)) return; // done by an earlier run
  const file = host.path(s.kubelet.configFile);
  const original = fs.readFileSync(file, 'utf8');
  const { text } = repointKubelet(original, `unix://${socket}`, s.kubelet.configFile);
  fs.writeFileSync(backup, original, { mode: 0o600 });
  writeIfChanged(file, text, fs.statSync(file).mode & 0o7777);
  await runOk(host, ['systemctl', 'restart', `${s.kubelet.unit}.service`]);
  c.log(`kubelet now uses unix://${socket} (its previous runtime is tsvisor's upstream)`);
}

export async function uninstall(c: InstallerContext): Promise<void> {
  const { settings: s, host, log } = c;
  if (c.cluster !== null) {
    await c.cluster.api.label(c.cluster.nodeName, s.nodeLabel.key, null);
    log(`label ${s.nodeLabel.key} removed from node ${c.cluster.nodeName}`);
  }
  const backup = host.path(kubeletBackupPath(s));
  if (fs.existsSync(backup)) {
    const file = host.path(s.kubelet.configFile);
    // The file's own mode, not the backup's 0600: copyFileSync would give it the backup's.
    writeIfChanged(file, fs.readFileSync(backup, 'utf8'), fs.statSync(file).mode & 0o7777);
    await runOk(host, ['systemctl', 'restart', `${s.kubelet.unit}.service`]);
    fs.rmSync(backup);
    log(`kubelet's own configuration restored`);
  }
  const config = fs.existsSync(host.path(criConfigPath(s))) ? checkedCriConfig(c) : null;
  await nodeService(c).remove();
  if (config !== null) removeRuntimeState(c, config);
  fs.rmSync(host.path(s.configDir), { recursive: true, force: true });
  fs.rmSync(host.path(s.installDir), { recursive: true, force: true });
  log(`${s.installDir} and ${s.configDir} removed`);
}

/** The server's socket, state dir and root, unless pods are still recorded there (their Sentries outlive the server). */
function removeRuntimeState(c: InstallerContext, config: CriConfig): void {
  const { host, log } = c;
  fs.rmSync(host.path(config.socket), { force: true });
  const podsDir = host.path(path.join(config.root, 'pods'));
  const pods = fs.existsSync(podsDir) ? fs.readdirSync(podsDir) : [];
  if (pods.length > 0) {
    log(`keeping ${config.root} and ${config.stateDir}: ${pods.length} pods still exist (drain the node's gvisor pods first)`);
    return;
  }
  for (const dir of [config.stateDir, config.root]) fs.rmSync(host.path(dir), { recursive: true, force: true });
  log(`${config.root} and ${config.stateDir} removed`);
}
