/**
 * CRI stats. A pod's CPU and memory are its cgroup's: the Sentry, its
 * stubs and the Gofers. A container's come from the Sentry's accounting:
 * the stubs that run its processes (PSS, so pages shared copy-on-write
 * between them count once, and their CPU time) plus its writable layer,
 * which lives in the Sentry's memory; the Sentry's own overhead is the
 * pod's. A container with a memory limit (enforced by the Sentry,
 * sentry/pod/memory.ts) also reports what is left under it. Exited
 * containers and stopped pods report no usage.
 */
import { defaults } from '../proto/codec';
import type * as t from '../proto/types';
import type { ContainerUsage } from '../../sentry/control/protocol';
import type { Containers } from './containers';
import { cpuNs, innermostPid, pssKiB } from './hostproc';
import { nowNs, Pods } from './pods';
import type { ContainerRecord, PodRecord } from './store';

const u = (v: number | bigint): t.UInt64Value => ({ value: v.toString() });

export class Stats {
  constructor(
    private readonly pods: Pods,
    private readonly containers: Containers,
    /** The filesystem the writable layers are accounted to (they are in memory). */
    private readonly mountpoint: string,
  ) {}

  /**
   * The Sentry's per-container usage of a ready pod ({} when it cannot
   * say), with the stubs' pids translated from the Sentry's PID namespace
   * to the host's (through the pod cgroup's processes).
   */
  private async usageOf(podId: string): Promise<Map<string, ContainerUsage>> {
    let usage: ContainerUsage[];
    try {
      usage = (await this.pods.sentry(podId).request({ op: 'stats' }, [], 5_000)).usage ?? [];
    } catch {
      return new Map();
    }
    const toHost = new Map<number, number>();
    for (const pid of this.pods.cgroupOf(this.pods.get(podId))?.pids() ?? []) {
      const inner = innermostPid(pid);
      if (inner !== undefined) toHost.set(inner, pid);
    }
    return new Map(usage.map((x) => [x.container, { ...x, stubPids: x.stubPids.flatMap((p) => toHost.get(p) ?? []) }]));
  }

  private pod(p: PodRecord): { cpu: t.CpuUsage; memory: t.MemoryUsage } | undefined {
    const s = p.state === 'ready' ? this.pods.cgroupOf(p)?.stats() : undefined;
    if (!s) return undefined;
    const ts = nowNs();
    return {
      cpu: { ...defaults('CpuUsage'), timestamp: ts, usage_core_nano_seconds: u(s.cpuUsageNs) },
      memory: {
        ...defaults('MemoryUsage'), timestamp: ts, working_set_bytes: u(s.memoryWorkingSetBytes), usage_bytes: u(s.memoryUsageBytes),
        rss_bytes: u(s.memoryRssBytes), page_faults: u(s.pageFaults), major_page_faults: u(s.majorPageFaults),
      },
    };
  }

  container(c: ContainerRecord, usage: ContainerUsage | undefined): t.ContainerStats {
    const ts = nowNs();
    const running = c.state === 'running' && usage !== undefined;
    const memBytes = running ? usage.stubPids.reduce((sum, pid) => sum + pssKiB(pid) * 1024, 0) + usage.writableBytes : 0;
    const cpu = running ? usage.stubPids.reduce((sum, pid) => sum + cpuNs(pid), 0n) : 0n;
    // As containerd: what is left under the container's memory limit, when it has one.
    const limit = running ? usage.memoryLimitBytes ?? 0 : 0;
    const available = limit > 0 ? u(Math.max(0, limit - memBytes)) : null;
    return {
      ...defaults('ContainerStats'),
      attributes: { id: c.id, metadata: c.config.metadata, labels: c.config.labels, annotations: c.config.annotations },
      cpu: running ? { ...defaults('CpuUsage'), timestamp: ts, usage_core_nano_seconds: u(cpu) } : null,
      memory: running ? { ...defaults('MemoryUsage'), timestamp: ts, working_set_bytes: u(memBytes), usage_bytes: u(memBytes), available_bytes: available } : null,
      writable_layer: {
        ...defaults('FilesystemUsage'), timestamp: ts, fs_id: { mountpoint: this.mountpoint },
        used_bytes: u(usage?.writableBytes ?? 0), inodes_used: u(usage?.writableInodes ?? 0),
      },
    };
  }

  /** Stats of these containers, asking each pod's Sentry once. */
  async containersStats(list: ContainerRecord[]): Promise<t.ContainerStats[]> {
    const byPod = new Map<string, Map<string, ContainerUsage>>();
    for (const podId of new Set(list.filter((c) => c.state === 'running').map((c) => c.podId))) byPod.set(podId, await this.usageOf(podId));
    return list.map((c) => this.container(c, byPod.get(c.podId)?.get(c.id)));
  }

  async podStats(p: PodRecord): Promise<t.PodSandboxStats> {
    const usage = this.pod(p);
    const pids = p.state === 'ready' ? this.pods.cgroupOf(p)?.pids().length ?? 0 : 0;
    const containers = [...this.containers.store.records.values()].filter((c) => c.podId === p.id);
    return {
      ...defaults('PodSandboxStats'),
      attributes: { id: p.id, metadata: p.config.metadata, labels: p.config.labels, annotations: p.config.annotations },
      linux: {
        ...defaults('LinuxPodSandboxStats'),
        cpu: usage?.cpu ?? null, memory: usage?.memory ?? null,
        process: { timestamp: nowNs(), process_count: u(pids) },
        containers: await this.containersStats(containers),
      },
    };
  }
}
