/**
 * Pod sandboxes: their host resources and their Sentry.
 *
 *   RunPodSandbox: netns → CNI → pod files → cgroup → Sentry   (undone in reverse on failure)
 *      │
 *      ▼
 *   ready ──StopPodSandbox──▶ notready ──RemovePodSandbox──▶ gone
 *   (Stop ends the Sentry and so every container, tears the network down; both are idempotent)
 *
 * A pod is recorded notready until its Sentry answers, so one whose
 * RunPodSandbox was cut short by a crash comes back notready (Stop/Remove
 * clean up from what the record names). A Sentry that dies makes its pod
 * notready. A restarted server reconnects to the Sentries of ready pods; a pod whose
 * Sentry is gone is reported notready.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cni, CniPodInfo } from '../pod/cni';
import { PodCgroup } from '../pod/cgroup';
import { writePodFiles } from '../pod/files';
import { createNetns, netnsPathOf, removeNetns } from '../pod/netns';
import { SentryClient } from '../sandbox/control';
import { controlPathOf, startSentry } from '../sandbox/launch';
import type * as t from '../proto/types';
import { NamespaceMode } from '../proto/types';
import { invalidArgument, notFound } from '../server/errors';
import { NameIndex, podName } from '../server/names';
import { PodRecord, RecordStore, RECORD_VERSION } from './store';
import { checkPodSupported, usesHostNetwork } from './unsupported';
import type { HostNetworkPods, NetworkMode } from '../config';
import { podSysctls } from './sysctls';

const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$/;
/** The node's hosts file, which hostNetwork pods see (as containerd gives them). */
const NODE_HOSTS = '/etc/hosts';
/** How long a Sentry may take to end after a shutdown request before it is killed. */
const SHUTDOWN_GRACE_MS = 2_000;

export interface PodsOptions {
  root: string;
  stateDir: string;
  cni: Cni;
  /** Default cgroup parent when the pod names none. */
  cgroupParent: string;
  /** The Sentry's network mode for pods with a network namespace of their own. */
  network: NetworkMode;
  /** Whether hostNetwork pods run (in host mode in the node's namespace) or are refused. */
  hostNetworkPods: HostNetworkPods;
  log: (msg: string) => void;
}

export const nowNs = (): string => (BigInt(Date.now()) * 1_000_000n).toString();

export class Pods {
  readonly store: RecordStore<PodRecord>;
  readonly names = new NameIndex();
  private readonly clients = new Map<string, SentryClient>();
  /** Called with every connected Sentry (so container exits are followed). */
  onSentry: (podId: string, client: SentryClient) => void = () => undefined;

  constructor(private readonly o: PodsOptions) {
    this.store = new RecordStore<PodRecord>(path.join(o.root, 'pods'), 'pod.json', 'pod sandbox');
  }

  /** Loads records and reconnects to the Sentries of ready pods. */
  recover(): void {
    this.store.load(this.o.log);
    for (const p of this.store.records.values()) {
      this.names.reserve(podName(p.config.metadata!), p.id);
      if (p.state === 'ready') {
        try {
          this.connect(p.id, SentryClient.connect(controlPathOf(p.runDir)));
          continue;
        } catch (e) {
          this.o.log(`pod ${p.id}: sentry unreachable after restart (${(e as Error).message}); marking it not ready`);
          this.store.update(p.id, (r) => (r.state = 'notready'));
        }
      }
      // Whatever still runs for a pod that is not ready (a Sentry started by a cut-short RunPodSandbox) serves nobody.
      this.killProcesses(p);
    }
  }

  private connect(id: string, client: SentryClient): void {
    this.clients.set(id, client);
    client.on('close', () => {
      if (this.clients.get(id) !== client) return; // closed by endSentry
      this.clients.delete(id);
      this.o.log(`pod ${id}: the sentry ended unexpectedly; marking the pod not ready`);
      if (this.store.records.has(id)) this.store.update(id, (r) => (r.state = 'notready'));
    });
    this.onSentry(id, client);
  }

  get(idOrPrefix: string): PodRecord {
    const p = this.store.find(idOrPrefix);
    if (!p) throw notFound(`pod sandbox ${JSON.stringify(idOrPrefix)}`);
    return p;
  }

  /** The Sentry of a ready pod. */
  sentry(id: string): SentryClient {
    const c = this.clients.get(id);
    if (!c?.connected) throw invalidArgument(`pod sandbox ${id} is not ready`);
    return c;
  }

  cgroupOf(p: PodRecord): PodCgroup | undefined {
    try {
      return p.cgroupPath ? PodCgroup.open(p.cgroupPath) : undefined;
    } catch {
      return undefined;
    }
  }

  async run(req: t.RunPodSandboxRequest): Promise<string> {
    const config = req.config;
    const meta = config?.metadata;
    if (!config || !meta) throw invalidArgument('pod sandbox config with metadata is required');
    if (!meta.name || !meta.namespace || !meta.uid) throw invalidArgument('pod sandbox metadata needs name, namespace and uid');
    checkPodSupported(config, this.o.hostNetworkPods === 'allow');
    const hostNetwork = usesHostNetwork(config);
    const sysctls = podSysctls(config);
    // Like containerd: without a hostname the pod shares the node's name (kubelet sets it unless hostNetwork).
    const hostname = config.hostname || os.hostname();
    if (!HOSTNAME_RE.test(hostname)) throw invalidArgument(`hostname ${JSON.stringify(hostname)} is not valid`);
    const id = randomBytes(32).toString('hex');
    const name = podName(meta);
    this.names.reserve(name, id);
    const runDir = path.join(this.o.stateDir, 'sandboxes', id);
    const record: PodRecord = {
      version: RECORD_VERSION, id, config, handler: req.runtime_handler, createdAt: nowNs(), state: 'notready', ips: [], runDir,
    };
    const undo: Array<() => Promise<void> | void> = [];
    try {
      // Persist first: a crash half-way leaves a record that Stop/Remove can clean up.
      this.store.save(record);
      undo.push(() => this.store.delete(id));
      // hostNetwork: the Sentry stays in the node's network namespace, in host mode (less isolation: logged).
      const network: NetworkMode = hostNetwork ? 'host' : this.o.network;
      if (hostNetwork) {
        this.o.log(`pod ${id}: hostNetwork: its sentry runs in the node's network namespace with host sockets (network mode host)`);
      } else {
        // Recorded before it exists: a crash while it is created leaves a mount Stop must find.
        record.netnsPath = netnsPathOf(this.o.stateDir, id);
        this.store.save(record);
        undo.push(() => removeNetns(record.netnsPath!));
        await createNetns(this.o.stateDir, id);
      }
      if (record.netnsPath && network !== 'none') {
        const cniPod = this.cniInfo(record);
        const net = await this.o.cni.setUp(cniPod);
        undo.push(() => this.o.cni.tearDown(cniPod, net));
        record.ips = net.ips;
      }
      record.files = writePodFiles(this.store.dirOf(id), {
        hostname, ips: record.ips, dns: config.dns_config ?? undefined, nodeHosts: hostNetwork ? NODE_HOSTS : undefined,
      });
      const cg = PodCgroup.create({ parent: config.linux?.cgroup_parent || this.o.cgroupParent, name: `tsvisor-${id.slice(0, 32)}` });
      undo.push(() => cg.destroy());
      record.cgroupPath = cg.path;
      this.store.save(record);
      undo.push(() => fs.rmSync(runDir, { recursive: true, force: true }));
      // pid POD (also the default) is Kubernetes' shareProcessNamespace: containerd makes the pause container that namespace's init.
      const sharedPidNamespace = (config.linux?.security_context?.namespace_options?.pid ?? NamespaceMode.POD) === NamespaceMode.POD;
      const sentry = await startSentry({
        runDir, hostname, netnsPath: record.netnsPath, network, sharedPidNamespace, joinCgroup: (pid) => cg.addProcess(pid),
      });
      undo.push(() => this.endSentry(record));
      this.connect(id, sentry.client);
      if (Object.keys(sysctls).length > 0) await sentry.client.request({ op: 'sysctl', values: sysctls });
      record.sentryPid = sentry.client.sentryPid; // the Sentry itself, not the bin/tsvisor shell around it
      record.state = 'ready';
      this.store.save(record);
      return id;
    } catch (e) {
      for (const u of undo.reverse()) {
        try {
          await u();
        } catch (ue) {
          this.o.log(`pod ${id}: rollback step failed: ${(ue as Error).message}`);
        }
      }
      this.names.release(name);
      throw e;
    }
  }

  private cniInfo(p: PodRecord): CniPodInfo {
    const m = p.config.metadata!;
    return {
      id: p.id, name: m.name, namespace: m.namespace, uid: m.uid, netnsPath: p.netnsPath!,
      portMappings: p.config.port_mappings.map((pm) => ({
        protocol: (['tcp', 'udp', 'sctp'] as const)[pm.protocol] ?? 'tcp',
        container_port: pm.container_port, host_port: pm.host_port, host_ip: pm.host_ip,
      })),
    };
  }

  /** Ends the Sentry (and so every container) and the pod's network; idempotent. */
  async stop(id: string): Promise<void> {
    const p = this.store.find(id);
    if (!p) return;
    const step = timer((what, ms) => this.o.log(`pod ${p.id}: ${what} took ${ms} ms`));
    await step('ending the sentry', () => this.endSentry(p));
    if (p.netnsPath) {
      await step('CNI teardown', () => this.o.cni.tearDown(this.cniInfo(p)));
      await step('removing the netns', () => removeNetns(p.netnsPath!));
    }
    this.store.update(p.id, (r) => {
      r.state = 'notready';
      r.netnsPath = undefined;
    });
  }

  private async endSentry(p: PodRecord): Promise<void> {
    const client = this.clients.get(p.id);
    // Forgotten first, so its close is not taken for the Sentry's death.
    this.clients.delete(p.id);
    if (client?.connected) {
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      await client.request({ op: 'shutdown' }, [], SHUTDOWN_GRACE_MS).catch(() => undefined);
      await Promise.race([closed, new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS))]);
      client.close();
    }
    this.killProcesses(p);
    fs.rmSync(p.runDir, { recursive: true, force: true });
  }

  /** Whatever is left of the Sentry (and any Gofer) dies with the cgroup's processes. */
  private killProcesses(p: PodRecord): void {
    const cg = this.cgroupOf(p);
    if (cg) for (const pid of cg.pids()) killQuietly(pid);
  }

  async remove(id: string): Promise<void> {
    const p = this.store.find(id);
    if (!p) return;
    await this.stop(p.id);
    await this.cgroupOf(p)?.destroy();
    this.store.delete(p.id);
    this.names.release(podName(p.config.metadata!));
  }
}

/** Runs steps, reporting those slower than a second (teardown steps should take milliseconds). */
function timer(report: (what: string, ms: number) => void) {
  return async (what: string, step: () => Promise<void>): Promise<void> => {
    const t0 = Date.now();
    await step();
    if (Date.now() - t0 > 1000) report(what, Date.now() - t0);
  };
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
