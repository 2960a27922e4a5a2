/**
 * Containers of tsvisor pods.
 *
 *   CreateContainer ──▶ created ──StartContainer──▶ running ──(exit event)──▶ exited ──RemoveContainer──▶ gone
 *                          │                           └─StopContainer: stop signal, then SIGKILL after the timeout
 *                          └─ a failed start ─▶ exited (reason StartError, exit code 128)
 *
 * A container runs in its pod's Sentry on a Gofer serving its image's root
 * read-only (writes stay in the Sentry's in-memory overlay); its stdout
 * and stderr are written by the Sentry into the CRI log file.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { closeFd, socketPair } from '../../sentry/platform/host/fdio';
import type { CpuSettings, ExitEvent, FdName, FileSpec } from '../../sentry/control/protocol';
import { CPU_PERIOD_DEFAULT_US, cpuLimits } from '../../sentry/kernel/cgroup';
import { isOomScoreAdj } from '../../sentry/kernel/oom';
import { int64Field } from '../pod/cgroup-fs';
import { podOomScoreAdj, setHostOomScoreAdj } from '../pod/oomscore';
import { cpuMax, sharesToWeight } from '../pod/cgroup-v2';
import type { ImageStore } from '../image/store';
import { PassedFd, SentryClient, SentryRequestError } from '../sandbox/control';
import { startContainerGofers } from '../sandbox/launch';
import * as t from '../proto/types';
import { defaults } from '../proto/codec';
import { CriError, failedPrecondition, invalidArgument, notFound } from '../server/errors';
import { containerName, NameIndex } from '../server/names';
import { status } from '@grpc/grpc-js';
import { nowNs, Pods } from './pods';
import { checkReadOnlyMounts, withWritableSubmounts } from './mounts';
import { processSpecOf } from './process-spec';
import { pathRulesOf } from './pathrules';
import { checkContainerSupported } from './unsupported';
import { ContainerRecord, PodRecord, RecordStore, RECORD_VERSION } from './store';
import { readAll } from './streams';

const SIGKILL = 9;
/** How long a SIGKILLed container may take to be reported gone. */
const KILL_WAIT_MS = 10_000;
/** How often a stop signal the container's init dropped is offered again. */
const STOP_SIGNAL_RETRY_MS = 100;
const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15 };

/** Exit code as containerd reports it: the code, or 128+n for death by signal n. */
export function exitCodeOf(waitStatus: number): number {
  return (waitStatus & 0x7f) === 0 ? (waitStatus >> 8) & 0xff : 128 + (waitStatus & 0x7f);
}

/**
 * linux.resources.memory_limit_in_bytes as the Sentry's OOM killer takes it
 * (sentry/pod/memory.ts): bytes, 0 for none (absent, 0 or negative, as
 * runc leaves memory.max alone then).
 */
export function memoryLimitOf(r: t.LinuxContainerResources | null | undefined): number {
  const v = r?.memory_limit_in_bytes ?? '';
  if (v === '') return 0;
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`memory_limit_in_bytes ${JSON.stringify(v)} is not an integer`);
  const n = BigInt(v);
  return n <= 0n ? 0 : n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/**
 * linux.resources' CPU settings as the container's cgroup shows them:
 * cpu.max and cpu.weight as runc writes them on cgroup v2 (a quota alone
 * gets the default period; shares become a weight). Checked here, so a bad
 * value fails CreateContainer (or the update) instead of the start.
 */
export function cpuSettingsOf(r: t.LinuxContainerResources | null | undefined): CpuSettings {
  try {
    const max = cpuMax(int64Field('cpu_quota', r?.cpu_quota), int64Field('cpu_period', r?.cpu_period));
    const shares = int64Field('cpu_shares', r?.cpu_shares);
    const settings: CpuSettings = {
      cpuMax: max === undefined || max.includes(' ') ? max : `${max} ${CPU_PERIOD_DEFAULT_US}`,
      cpuWeight: shares === undefined ? undefined : Number(sharesToWeight(shares)),
    };
    cpuLimits(settings.cpuMax, settings.cpuWeight);
    return settings;
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
}

/** linux.resources.oom_score_adj (kubelet's QoS score), checked against Linux's range. */
export function oomScoreAdjOf(r: t.LinuxContainerResources | null | undefined): number {
  const v = r?.oom_score_adj || '0';
  const n = /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!isOomScoreAdj(n)) throw invalidArgument(`oom_score_adj ${JSON.stringify(v)} is not an integer in [-1000, 1000]`);
  return n;
}

/** An exec'd process: its wait status when it ends, and controls. */
export interface RunningExec {
  /** Set when the command could not start (exit code 126/127 and why). */
  failed?: { code: number; message: string };
  exited: Promise<number>;
  signal(signo: number): Promise<void>;
  resize(rows: number, cols: number): Promise<void>;
}

export class Containers {
  readonly store: RecordStore<ContainerRecord>;
  readonly names = new NameIndex();
  /** Waiters for a container's (or exec's) exit, keyed by container id or `<id>/<exec>`. */
  private readonly exitWaiters = new Map<string, Array<(e: ExitEvent) => void>>();
  /** Containers whose StartContainer is under way. */
  private readonly starting = new Set<string>();
  onEvent: (r: ContainerRecord, type: t.ContainerEventType) => void = () => undefined;
  /**
   * Our ends of running containers' stdin sockets (config stdin). Held in
   * memory only: after a server restart a container's stdin is at end of file.
   */
  readonly stdin = new Map<string, number>();

  constructor(
    root: string,
    private readonly pods: Pods,
    private readonly images: ImageStore,
    private readonly log: (msg: string) => void,
  ) {
    this.store = new RecordStore<ContainerRecord>(path.join(root, 'containers'), 'container.json', 'container');
  }

  /** Loads the records; the Sentries' state is merged in by `follow` as they reconnect. */
  recover(): void {
    this.store.load(this.log);
    for (const c of this.store.records.values()) {
      this.names.reserve(containerName(c.config.metadata!, c.podId), c.id);
      const pod = this.pods.store.records.get(c.podId);
      if (c.state === 'running' && pod?.state !== 'ready') this.markExited(c.id, 'Unknown', 'the pod sandbox stopped while the server was down', 255);
    }
  }

  /** Follows a pod's Sentry: exit events, and the state of containers that ended while we were away. */
  follow(podId: string, client: SentryClient): void {
    client.on('exit', (e) => this.exited(e));
    client.once('close', () => {
      for (const c of this.store.records.values()) {
        if (c.podId === podId && c.state === 'running') this.markExited(c.id, 'Error', 'the pod sandbox ended', 137);
      }
    });
    void client
      .request({ op: 'list' })
      .then((r) => {
        for (const s of r.processes ?? []) {
          if (s.exec === undefined && s.status !== undefined) {
            this.exited({ event: 'exit', container: s.container, status: s.status, at: s.finishedAt ?? Date.now(), oomKilled: s.oomKilled });
          }
        }
      })
      .catch((e: Error) => this.log(`pod ${podId}: listing containers failed: ${e.message}`));
  }

  private exited(e: ExitEvent): void {
    const key = e.exec === undefined ? e.container : `${e.container}/${e.exec}`;
    for (const w of this.exitWaiters.get(key) ?? []) w(e);
    this.exitWaiters.delete(key);
    if (e.exec !== undefined) return;
    this.closeStdin(e.container);
    const c = this.store.records.get(e.container);
    if (!c || c.state === 'exited') return;
    const code = exitCodeOf(e.status);
    const r = this.store.update(c.id, (r) => {
      r.state = 'exited';
      r.exitCode = code;
      // As containerd: a container the OOM killer took a process from ended OOMKilled, whatever its code.
      r.reason = e.oomKilled ? 'OOMKilled' : code === 0 ? 'Completed' : 'Error';
      r.finishedAt = (BigInt(e.at) * 1_000_000n).toString();
    });
    this.onEvent(r, 2 /* CONTAINER_STOPPED_EVENT */);
  }

  /** Ends a container's stdin (it exited, or stdin_once and the first attach ended). */
  closeStdin(id: string): void {
    const fd = this.stdin.get(id);
    if (fd === undefined) return;
    this.stdin.delete(id);
    closeFd(fd);
  }

  private markExited(id: string, reason: string, message: string, exitCode: number): void {
    this.closeStdin(id);
    const r = this.store.update(id, (r) => {
      r.state = 'exited';
      r.reason = reason;
      r.message = message;
      r.exitCode = exitCode;
      r.finishedAt = nowNs();
    });
    this.onEvent(r, 2);
  }

  /** Resolves when the container (or `<id>/<exec>`) exits. */
  waitExit(key: string): Promise<ExitEvent> {
    return new Promise((resolve) => {
      const list = this.exitWaiters.get(key) ?? [];
      list.push(resolve);
      this.exitWaiters.set(key, list);
    });
  }

  get(idOrPrefix: string): ContainerRecord {
    const c = this.store.find(idOrPrefix);
    if (!c) throw notFound(`container ${JSON.stringify(idOrPrefix)}`);
    return c;
  }

  create(req: t.CreateContainerRequest): string {
    const pod = this.pods.get(req.pod_sandbox_id);
    if (pod.state !== 'ready') throw failedPrecondition(`pod sandbox ${pod.id} is not ready`);
    const config = req.config;
    if (!config?.metadata?.name) throw invalidArgument('container config with metadata.name is required');
    const ref = config.image?.image ?? '';
    const image = ref ? this.images.get(ref) : undefined;
    if (!image) throw notFound(`image ${JSON.stringify(ref)}`);
    // Check the command, user and mounts now, so a bad config fails here rather than at start.
    processSpecOf(this.images.rootfs(image.id), image.config, config);
    checkReadOnlyMounts(config.mounts);
    this.dirMounts(config.mounts); // for its checks of every mount's destination and source
    memoryLimitOf(config.linux?.resources);
    cpuSettingsOf(config.linux?.resources);
    oomScoreAdjOf(config.linux?.resources);
    checkContainerSupported(config, pod.config);
    const logPath = this.logPathOf(pod.config.log_directory, config.log_path);
    const id = randomBytes(32).toString('hex');
    const name = containerName(config.metadata, pod.id);
    this.names.reserve(name, id);
    try {
      this.store.save({
        version: RECORD_VERSION, id, podId: pod.id, config, imageId: image.id, imageRef: image.repoDigests[0] ?? image.id,
        createdAt: nowNs(), state: 'created', logPath,
      });
    } catch (e) {
      this.names.release(name);
      throw e;
    }
    this.onEvent(this.store.records.get(id)!, 0 /* CONTAINER_CREATED_EVENT */);
    return id;
  }

  /** log_directory/log_path, refusing a log path that leaves the directory. */
  private logPathOf(dir: string, rel: string): string {
    if (!rel) return '';
    if (!dir) throw invalidArgument('container log_path given but the pod has no log_directory');
    if (path.isAbsolute(rel)) throw invalidArgument(`log_path ${JSON.stringify(rel)} must be relative to the pod's log directory`);
    const full = path.resolve(dir, rel);
    if (!full.startsWith(path.resolve(dir) + path.sep)) throw invalidArgument(`log_path ${JSON.stringify(rel)} leaves the log directory`);
    return full;
  }

  async start(id: string): Promise<void> {
    const c = this.get(id);
    if (c.state !== 'created') throw failedPrecondition(`container ${c.id} is ${c.state}, not created`);
    // A second StartContainer while the first waits for the Sentry must not start (or fail) it again.
    if (this.starting.has(c.id)) throw failedPrecondition(`container ${c.id} is already being started`);
    this.starting.add(c.id);
    try {
      await this.startCreated(c);
    } finally {
      this.starting.delete(c.id);
    }
  }

  private async startCreated(c: ContainerRecord): Promise<void> {
    const pod = this.pods.get(c.podId);
    const sentry = this.pods.sentry(pod.id);
    const rootfs = this.images.rootfs(c.imageId);
    const image = this.images.get(c.imageId);
    if (!image) throw notFound(`image ${c.imageId}`);
    const spec = processSpecOf(rootfs, image.config, c.config);
    const sc = c.config.linux?.security_context;
    const cg = this.pods.cgroupOf(pod);
    const join = cg ? (pid: number) => cg.addProcess(pid) : undefined;
    const fds: PassedFd[] = [];
    try {
      const mounts = withWritableSubmounts(this.dirMounts(c.config.mounts));
      const trees = [{ root: rootfs, readOnly: true }, ...mounts.map((m) => ({ root: m.host_path, readOnly: m.readonly }))];
      const names: FdName[] = ['gofer:/', ...mounts.map((m): FdName => `gofer:${m.container_path}`)];
      startContainerGofers(trees, join).forEach((fd, i) => fds.push({ name: names[i], fd }));
      if (c.logPath) {
        fs.mkdirSync(path.dirname(c.logPath), { recursive: true });
        fds.push({ name: 'log', fd: fs.openSync(c.logPath, 'a', 0o640) });
      }
      if (c.config.stdin) {
        // The container reads its stdin from this socket; attach sessions write into our end.
        const [ours, theirs] = socketPair();
        fds.push({ name: 'stdin', fd: theirs });
        this.stdin.set(c.id, ours);
      }
      const startedAt = nowNs();
      await sentry.request(
        {
          op: 'start', container: c.id, rootReadOnly: sc?.readonly_rootfs ?? false, tty: c.config.tty,
          // Kubernetes gives each container its own PID namespace unless the pod shares one (pid: POD, crictl's default).
          ownPidNamespace: sc?.namespace_options?.pid === t.NamespaceMode.CONTAINER,
          mounts: mounts.map((m) => ({ dest: m.container_path, readOnly: m.readonly })), ...pathRulesOf(sc),
          files: this.podFiles(pod.files, c.config.mounts), memoryLimitBytes: memoryLimitOf(c.config.linux?.resources), ...cpuSettingsOf(c.config.linux?.resources),
          oomScoreAdj: oomScoreAdjOf(c.config.linux?.resources), ...spec,
        },
        fds,
      );
      // A program that exits at once has its exit event in the same read as this reply, handled first: keep it.
      const r = this.store.update(c.id, (r) => {
        if (r.state === 'created') r.state = 'running';
        r.startedAt = startedAt;
      });
      this.onEvent(r, 1 /* CONTAINER_STARTED_EVENT */);
      this.adjustPodOomScore(pod);
    } catch (e) {
      const msg = (e as Error).message;
      this.markExited(c.id, 'StartError', msg, e instanceof SentryRequestError && e.code !== undefined ? e.code : 128);
      throw new CriError(status.UNKNOWN, `failed to start container ${c.id}: ${msg}`);
    } finally {
      for (const f of fds) closeFd(f.fd);
    }
  }

  /**
   * The pod's host processes (all in its cgroup: the Sentry, the Gofers,
   * the stubs, among them the template new stubs fork from and so inherit
   * it) get the lowest oom_score_adj of its running containers. Failures
   * are logged: the containers run either way.
   */
  private adjustPodOomScore(pod: PodRecord): void {
    const running = [...this.store.records.values()].filter((r) => r.podId === pod.id && r.state === 'running');
    const value = podOomScoreAdj(running.map((r) => oomScoreAdjOf(r.config.linux?.resources)));
    const cg = this.pods.cgroupOf(pod);
    if (value === undefined || !cg) return;
    let pids: number[];
    try {
      pids = cg.pids();
    } catch (e) {
      return this.log(`pod ${pod.id}: oom_score_adj ${value} not set: ${(e as Error).message}`);
    }
    for (const f of setHostOomScoreAdj(pids, value)) this.log(`pod ${pod.id}: oom_score_adj ${value}: ${f}`);
  }

  /** Directory mounts are served by the container's Gofer; file mounts are copied in by podFiles. */
  private dirMounts(mounts: t.Mount[]): t.Mount[] {
    return mounts.filter((m) => {
      if (!path.isAbsolute(m.container_path) || m.container_path.split('/').includes('..')) {
        throw invalidArgument(`mount destination ${JSON.stringify(m.container_path)} must be an absolute path without ".."`);
      }
      let st;
      try {
        st = fs.statSync(m.host_path);
      } catch {
        throw invalidArgument(`mount source ${JSON.stringify(m.host_path)} does not exist`);
      }
      return st.isDirectory();
    });
  }

  /**
   * The pod's /etc/hosts, resolv.conf and hostname, plus file mounts, as
   * files put into the container's root at start (a snapshot: later
   * writes on either side are not shared).
   */
  private podFiles(files: { hostsPath: string; resolvPath: string; hostnamePath: string } | undefined, mounts: t.Mount[]): FileSpec[] {
    const out = new Map<string, string>();
    if (files) {
      out.set('/etc/hosts', files.hostsPath);
      out.set('/etc/resolv.conf', files.resolvPath);
      out.set('/etc/hostname', files.hostnamePath);
    }
    for (const m of mounts) if (fs.statSync(m.host_path).isFile()) out.set(m.container_path, m.host_path);
    return [...out.entries()].map(([p, host]) => ({ path: p, data: fs.readFileSync(host).toString('base64'), mode: 0o644 }));
  }

  /** Stop signal, then SIGKILL once `timeoutS` passed; resolves when the container exited. */
  async stop(id: string, timeoutS: number): Promise<void> {
    const c = this.store.find(id);
    if (!c || c.state !== 'running') return;
    let sentry: SentryClient;
    try {
      sentry = this.pods.sentry(c.podId);
    } catch {
      return this.markExited(c.id, 'Error', 'the pod sandbox is gone', 137);
    }
    const exited = this.waitExit(c.id);
    const stopSignal = SIGNALS[this.images.get(c.imageId)?.config.StopSignal ?? ''] ?? 15;
    if (timeoutS > 0) {
      const deadline = Date.now() + timeoutS * 1000;
      const ended = exited.then(() => true);
      // A container's init drops signals it has no handler for (as a PID namespace's init does), and one
      // still starting up may install its handler any moment: offer the stop signal until it is taken.
      let delivered = false;
      for (let left = timeoutS * 1000; left > 0; left = deadline - Date.now()) {
        if (!delivered) delivered = (await sentry.request({ op: 'signal', container: c.id, signal: stopSignal })).delivered !== false;
        const wait = delivered ? left : Math.min(STOP_SIGNAL_RETRY_MS, left);
        if (await Promise.race([ended, new Promise<false>((r) => setTimeout(() => r(false), wait))])) return;
      }
    }
    await sentry.request({ op: 'signal', container: c.id, signal: SIGKILL });
    const gone = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), KILL_WAIT_MS).unref())]);
    if (!gone) {
      // The exit event never came: believe the Sentry's own account, or give up on the container.
      this.log(`container ${c.id}: no exit event ${KILL_WAIT_MS} ms after SIGKILL`);
      const st = (await sentry.request({ op: 'list' }).catch(() => undefined))?.processes?.find((p) => p.container === c.id && p.exec === undefined);
      if (st?.status !== undefined) this.exited({ event: 'exit', container: c.id, status: st.status, at: st.finishedAt ?? Date.now() });
      else this.markExited(c.id, 'Unknown', 'the container did not end after SIGKILL', 137);
    }
  }

  async remove(id: string): Promise<void> {
    const c = this.store.find(id);
    if (!c) return;
    if (c.state === 'running') await this.stop(c.id, 0);
    try {
      await this.pods.sentry(c.podId).request({ op: 'remove', container: c.id });
    } catch {
      /* the pod's Sentry is gone, and the container with it */
    }
    this.store.delete(c.id);
    const pod = this.pods.store.records.get(c.podId);
    if (pod?.state === 'ready') this.adjustPodOomScore(pod);
    this.names.release(containerName(c.config.metadata!, c.podId));
    this.onEvent(c, 3 /* CONTAINER_DELETED_EVENT */);
  }

  /**
   * Starts `cmd` in a running container with the given stdio descriptors
   * (the caller closes its copies). A command that cannot start resolves
   * with its exit code (126/127) and its message, as a shell would report.
   */
  async startExec(id: string, cmd: string[], tty: boolean, fds: PassedFd[], size?: { rows: number; cols: number }): Promise<RunningExec> {
    const c = this.get(id);
    if (c.state !== 'running') throw failedPrecondition(`container ${c.id} is not running`);
    if (cmd.length === 0) throw invalidArgument('exec: empty command');
    const sentry = this.pods.sentry(c.podId);
    const image = this.images.get(c.imageId);
    const spec = processSpecOf(this.images.rootfs(c.imageId), image?.config ?? {}, { ...c.config, command: cmd, args: [] });
    const execId = randomBytes(8).toString('hex');
    const exited = this.waitExit(`${c.id}/${execId}`);
    try {
      await sentry.request({ op: 'exec', container: c.id, exec: execId, tty, size, ...spec }, fds);
    } catch (e) {
      if (e instanceof SentryRequestError && e.code !== undefined) {
        return { failed: { code: e.code, message: e.message }, exited: Promise.resolve(e.code << 8), signal: async () => undefined, resize: async () => undefined };
      }
      throw e;
    }
    return {
      exited: exited.then((e) => e.status),
      signal: async (signo) => {
        await sentry.request({ op: 'signal', container: c.id, exec: execId, signal: signo }).catch(() => undefined);
      },
      resize: async (rows, cols) => {
        await sentry.request({ op: 'resize', container: c.id, exec: execId, rows, cols }).catch(() => undefined);
      },
    };
  }

  /** Runs a command in a running container and collects its output (ExecSync). */
  async execSync(id: string, cmd: string[], timeoutS: number): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }> {
    const [outR, outW] = socketPair();
    const [errR, errW] = socketPair();
    let run: RunningExec;
    try {
      run = await this.startExec(id, cmd, false, [
        { name: 'stdout', fd: outW },
        { name: 'stderr', fd: errW },
      ]);
    } catch (e) {
      closeFd(outR);
      closeFd(errR);
      throw e;
    } finally {
      closeFd(outW);
      closeFd(errW);
    }
    const output = Promise.all([readAll(outR), readAll(errR), run.exited]);
    const timer = timeoutS > 0 ? new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutS * 1000).unref()) : undefined;
    const r = timer ? await Promise.race([output, timer]) : await output;
    if (r === 'timeout') {
      await run.signal(SIGKILL);
      throw new CriError(status.DEADLINE_EXCEEDED, `command ${JSON.stringify(cmd)} timed out after ${timeoutS}s`);
    }
    const [stdout, stderr, waitStatus] = r;
    const failed = run.failed ? Buffer.from(`${run.failed.message}\n`) : Buffer.alloc(0);
    return { stdout, stderr: Buffer.concat([stderr, failed]), exitCode: exitCodeOf(waitStatus) };
  }

  /** Joins output sockets (stdout, stderr) to a running container's output (crictl attach). */
  async attach(id: string, fds: PassedFd[]): Promise<ContainerRecord> {
    const c = this.get(id);
    if (c.state !== 'running') throw failedPrecondition(`container ${c.id} is not running`);
    await this.pods.sentry(c.podId).request({ op: 'attach', container: c.id }, fds);
    return c;
  }

  /** Resizes a running container's terminal. */
  async resize(id: string, rows: number, cols: number): Promise<void> {
    const c = this.get(id);
    await this.pods.sentry(c.podId).request({ op: 'resize', container: c.id, rows, cols }).catch(() => undefined);
  }

  /**
   * UpdateContainerResources: the memory limit and CPU settings go to the
   * container in the Sentry (a running container takes them at once), and are
   * kept in the record for a container not started yet.
   */
  async updateResources(id: string, r: t.LinuxContainerResources): Promise<void> {
    const c = this.get(id);
    const limit = memoryLimitOf(r);
    const cpu = cpuSettingsOf(r);
    if (c.state === 'running') await this.pods.sentry(c.podId).request({ op: 'resources', container: c.id, memoryLimitBytes: limit, ...cpu });
    this.store.update(c.id, (rec) => {
      rec.config = { ...rec.config, linux: { ...(rec.config.linux ?? defaults('LinuxContainerConfig')), resources: r } };
    });
  }

  async reopenLog(id: string): Promise<void> {
    const c = this.get(id);
    if (c.state !== 'running') throw failedPrecondition(`container ${c.id} is not running`);
    if (!c.logPath) throw failedPrecondition(`container ${c.id} has no log path`);
    const fd = fs.openSync(c.logPath, 'a', 0o640);
    try {
      await this.pods.sentry(c.podId).request({ op: 'reopenLog', container: c.id }, [{ name: 'log', fd }]);
    } finally {
      closeFd(fd);
    }
  }
}
