/**
 * The containers of one pod inside its Sentry. Every container has its own
 * mount namespace (a root from its Gofer, overlaid in memory unless the
 * rootfs is read-only, plus its Gofer mounts) and its first process, which
 * adopts the container's orphans and whose death ends the container, as
 * the init of a PID namespace. The pod's containers share the Sentry's
 * pid space, network and IPC, as the containers of a Kubernetes pod do.
 * When the pod shares one PID namespace (startPause), its pid 1 is a
 * pause process (pause.ts) that adopts every orphan, and containers that
 * join that namespace have no init semantics of their own.
 *
 * Lifecycle (driven by control requests, sentry/control/protocol.ts):
 *
 *   start ──▶ running ──(init exits / signal)──▶ exited ──remove──▶ gone
 *                 └─ exec ─▶ process ─▶ exit event (container unchanged)
 *
 * Port-forward connections (portforward.ts) belong to the pod, not to a
 * container: they reach whatever listens on the pod's loopback.
 */
import { posix } from 'node:path';
import { O } from '../abi/linux/fs';
import { fail, LinuxError } from '../errors/linuxerr';
import { Errno } from '../abi/linux/errno';
import { AT_FDCWD } from '../abi/linux/fs';
import type { ContainerUsage, ExitEvent, FdName, FileSpec, ProcessSpec, ProcessState, ReplyBody, RequestMessage } from '../control/protocol';
import { LaterReply } from '../control/server';
import { CriLog, CriLogFile } from '../fsimpl/host/crilog';
import { HostFile } from '../fsimpl/host/hostfile';
import { attachConsole, Console } from '../fsimpl/devpts/console';
import { P9Client } from '../fsimpl/gofer/client';
import { GoferFs } from '../fsimpl/gofer/fs';
import type { HostInfo } from '../fsimpl/proc/procfs';
import { closeFd } from '../platform/host/fdio';
import { HostError } from '../platform/host/libc';
import { Context } from '../platform/platform';
import { STUB_BASE } from '../platform/ptrace/stub';
import { capSetsOf } from '../kernel/capabilities';
import { SOCK_FILTER_SIZE } from '../abi/linux/seccomp';
import { BpfProgram, checkProgram, decodeProgram } from '../kernel/seccomp/bpf';
import { newFilter, NO_SECCOMP, withFilter } from '../kernel/seccomp/filter';
import { Credentials } from '../kernel/creds';
import { Kernel } from '../kernel/kernel';
import { parseSysctl, SYSCTLS, sysctlName, sysctlRefusal } from '../kernel/sysctl';
import { defaultLimits } from '../kernel/limits';
import { killedStatus, SIG_DFL, validSignal } from '../kernel/signals';
import { sendSignal } from '../kernel/signal/send';
import { Process, Task } from '../kernel/task';
import { setInitialCwd, startProgram } from '../loader/start';
import { MemoryManager } from '../mm/mm';
import { FileDescription } from '../vfs/file';
import { FdTable } from '../vfs/fdtable';
import { FsContext } from '../vfs/fscontext';
import { buildRootVfs } from '../vfs/mounts';
import { Tmpfs, TmpfsFile } from '../fsimpl/tmpfs/tmpfs';
import { filesInMemory, writableLayer } from '../vfs/memfiles';
import { Vfs } from '../vfs/vfs';
import { applyPathRules } from './pathmasks';
import { becomePause, PAUSE_SPEC } from './pause';
import { PortForwards } from './portforward';
import { ContainerMemory } from './memory';
import { type CgroupState, type CpuLimits, cpuLimits } from '../kernel/cgroup';
import { isOomScoreAdj } from '../kernel/oom';

const SIGKILL = 9;
const ESRCH = 3;
const SIGSTOP = 19;

interface Container {
  id: string;
  vfs: Vfs;
  gofers: P9Client[];
  log: CriLog;
  /** The container's stdout description (also the sink of its terminal). */
  stdout: CriLogFile;
  /** The container's terminal (config tty) and the host fd typed into it. */
  console?: Console;
  stdinFd?: number;
  /** Signals from outside reach its init only if handled (the init of its own PID namespace). */
  ownPidNamespace: boolean;
  state: ProcessState;
  init: Process;
  execs: Map<string, { state: ProcessState; process: Process; console?: Console }>;
  /** Its memory limit and OOM killer. */
  memory: ContainerMemory;
  /** What its cgroup shows of its CPU settings. */
  cpu: CpuLimits;
  /** The oom_score_adj its processes start with (the runtime sets it as a privileged writer: also their floor). */
  oomScoreAdj: number;
}

type StartRequest = Extract<RequestMessage, { op: 'start' }>;

/** Where new tasks go: the scheduler running this pod. */
export interface Adopter {
  adopt(t: Task): void;
}

export class Pod {
  private readonly containers = new Map<string, Container>();
  private readonly forwards: PortForwards;
  /** pid 1 of the pod's shared PID namespace, if it has one. */
  private pause: Process | undefined;
  shuttingDown = false;
  /** Sends an exit event to the control clients. */
  emit: (e: ExitEvent) => void = () => undefined;

  constructor(
    private readonly kernel: Kernel,
    /** A pristine stub: every container and exec'd process starts as a copy of it. */
    private template: Context,
    private readonly host: HostInfo,
    private readonly sched: Adopter,
  ) {
    kernel.onProcessExit = (p) => this.exited(p);
    kernel.afterSyscall = (t) => this.checkMemory(t.process);
    kernel.containerCgroup = (p) => this.cgroupOf(p.container);
    kernel.whileRunning = () => {
      for (const c of this.containers.values()) if (c.state.status === undefined) c.memory.requestStops();
    };
    kernel.platform.onInterrupted = (ctx) => this.interrupted(ctx);
    this.forwards = new PortForwards(kernel);
  }

  handle(req: RequestMessage, fds: Map<FdName, number>): ReplyBody | LaterReply {
    switch (req.op) {
      case 'start':
        return this.start(req, fds);
      case 'attach':
        return this.attach(req.container, fds);
      case 'exec':
        return this.exec(req.container, req.exec, req, req.tty === true, req.size, fds);
      case 'resize':
        return this.resize(req.container, req.exec, req.rows, req.cols);
      case 'signal':
        return this.signal(req.container, req.exec, req.signal);
      case 'reopenLog':
        return this.reopenLog(req.container, take(fds, 'log'));
      case 'remove':
        return this.remove(req.container);
      case 'list':
        return { ok: true, processes: this.list() };
      case 'sysctl':
        return this.sysctl(req.values);
      case 'stats':
        return { ok: true, usage: this.usage() };
      case 'resources': {
        const c = this.container(req.container);
        const cpu = cpuLimits(req.cpuMax, req.cpuWeight);
        c.memory.setLimit(req.memoryLimitBytes);
        c.cpu = cpu;
        return { ok: true };
      }
      case 'portForward': {
        const stream = take(fds, 'stream');
        return new LaterReply((answer) => this.forwards.connect(req.port, stream, answer));
      }
      case 'shutdown':
        this.end();
        return { ok: true };
      default:
        throw new Error(`unknown request ${(req as { op: string }).op}`);
    }
  }

  /**
   * The pod's containers share one PID namespace: its init, pid 1, is a
   * pause process the Sentry plays. Called before any other process exists.
   */
  startPause(): void {
    const t = this.newProcess('', PAUSE_SPEC, this.kernel.vfs, () => [], 0);
    becomePause(t.process);
    this.pause = t.process;
  }

  /** A container's cgroup as its processes see it; undefined for the pause process (no container). */
  private cgroupOf(id: string): CgroupState | undefined {
    const c = this.containers.get(id);
    if (!c) return undefined;
    const { memory, cpu } = c;
    return { memoryLimitBytes: memory.limit, memoryUsage: () => memory.usage(), oomKills: memory.oomKills, cpuMax: cpu.max, cpuWeight: cpu.weight };
  }

  private end(): void {
    this.shuttingDown = true;
    this.forwards.closeAll();
  }

  private container(id: string): Container {
    const c = this.containers.get(id);
    if (!c) throw new Error(`no container ${id} in this pod`);
    return c;
  }

  /** A container's first process on its own root; its stdout/stderr go to the CRI log (fd `log`) or to passed fds. */
  private start(req: StartRequest, fds: Map<FdName, number>): ReplyBody {
    const { container: id, rootReadOnly, mounts, tty } = req;
    const spec: ProcessSpec = req;
    const files = req.files ?? [];
    const ownPidNamespace = req.ownPidNamespace ?? true;
    if (this.containers.has(id)) throw new Error(`container ${id} already exists in this pod`);
    checkSpec(spec);
    const cpu = cpuLimits(req.cpuMax, req.cpuWeight);
    const oomScoreAdj = req.oomScoreAdj ?? 0;
    if (!isOomScoreAdj(oomScoreAdj)) throw new Error(`oom_score_adj ${oomScoreAdj} is not an integer in [-1000, 1000]`);
    const root = P9Client.connect(take(fds, 'gofer:/'));
    const gofers = [root];
    const vfs = buildRootVfs({ gofer: root, overlay: rootReadOnly ? 'none' : 'memory', kernel: this.kernel, host: this.host });
    for (const m of mounts) {
      const client = P9Client.connect(take(fds, `gofer:${m.dest}`));
      gofers.push(client);
      // Read-only as a mount (EROFS, statvfs ST_RDONLY, /proc/mounts), not as an immutable tree: the host may change it (a ConfigMap).
      vfs.mount(m.dest, new GoferFs(client, vfs.allocDev(), false).root, 'gofer', { readOnly: m.readOnly });
    }
    const log = new CriLog(fds.get('log'));
    fds.delete('log');
    const stdout = new CriLogFile(log, 'stdout');
    // A terminal's output is the container's stdout; its input, the passed stdin (if any).
    const term = tty ? attachConsole(this.kernel, { input: fds.get('stdin'), output: (data) => (stdout.write(data), true) }) : undefined;
    const stdio = (t: Task): FileDescription[] => {
      if (term) return [0, 1, 2].map(() => (term.slave.incRef(), term.slave));
      const stdin = fds.get('stdin');
      fds.delete('stdin');
      stdout.incRef(); // the fd table's reference; the container keeps its own
      return [stdin === undefined ? devNull(t) : new HostFile(stdin, O.RDONLY, true), stdout, new CriLogFile(log, 'stderr')];
    };
    // A read-only root cannot take the pod's files: they are mounted over their paths instead.
    if (rootReadOnly) mountFiles(vfs, files);
    const t = this.newProcess(id, spec, vfs, stdio, oomScoreAdj, (init) => {
      if (!rootReadOnly) for (const f of files) writeFile(init, f);
      applyPathRules(init, vfs, req.maskedPaths ?? [], req.readonlyPaths ?? []);
    });
    term?.setControlling(t.process);
    const failure = startProgram(t, spec.argv, spec.envp);
    if (failure) {
      t.process.exit(killedStatus(SIGKILL));
      term?.close();
      stdout.decRef();
      log.close();
      for (const g of gofers) g.close();
      return { ok: false, error: failure.message, code: failure.code };
    }
    const state: ProcessState = { container: id, pid: t.process.pid, startedAt: Date.now() };
    const memory = new ContainerMemory(this.kernel, id, () => filesInMemory(vfs), req.memoryLimitBytes ?? 0, () => (state.oomKilled = true));
    this.containers.set(id, {
      id, vfs, gofers, log, stdout, console: term, stdinFd: term ? fds.get('stdin') : undefined, ownPidNamespace, state, init: t.process, execs: new Map(), memory, cpu, oomScoreAdj,
    });
    // Joining the pod's shared namespace, the container leaves its orphans to the pod's pause.
    if (ownPidNamespace || !this.pause) this.kernel.containerInits.set(id, t.process);
    this.sched.adopt(t);
    return { ok: true, pid: t.process.pid };
  }

  /**
   * A new process in a running container (kubectl exec), not a child of
   * any of its processes. With `tty` it leads a new session on a sandbox
   * pty whose master is joined to the passed stdin (input) and stdout
   * (output) host fds.
   */
  private exec(
    id: string, execId: string, spec: ProcessSpec, tty: boolean, size: { rows: number; cols: number } | undefined, fds: Map<FdName, number>,
  ): ReplyBody {
    const c = this.container(id);
    if (c.state.status !== undefined) throw new Error(`container ${id} is not running`);
    if (c.execs.has(execId)) throw new Error(`exec ${execId} already exists`);
    checkSpec(spec);
    const term = tty ? this.console(fds) : undefined;
    if (term && size) term.resize(size.rows, size.cols);
    const stdio = (t: Task): FileDescription[] => {
      if (!term) return passedStdio(t, fds);
      return [0, 1, 2].map(() => {
        term.slave.incRef();
        return term.slave;
      });
    };
    const t = this.newProcess(id, spec, c.vfs, stdio, c.oomScoreAdj);
    term?.setControlling(t.process);
    const failure = startProgram(t, spec.argv, spec.envp);
    if (failure) {
      t.process.exit(killedStatus(SIGKILL));
      term?.close();
      return { ok: false, error: failure.message, code: failure.code };
    }
    const state: ProcessState = { container: id, exec: execId, pid: t.process.pid, startedAt: Date.now() };
    c.execs.set(execId, { state, process: t.process, console: term });
    this.sched.adopt(t);
    return { ok: true, pid: t.process.pid };
  }

  /** A console on the passed stdin/stdout host fds, which it owns from now on. */
  private console(fds: Map<FdName, number>): Console {
    const input = take(fds, 'stdin');
    const output = take(fds, 'stdout');
    const c = attachConsole(this.kernel, { input, output });
    const close = c.close.bind(c);
    return {
      ...c,
      close: () => {
        close();
        closeFd(input);
        closeFd(output);
      },
    };
  }

  /** Resizes the terminal of an exec, or of the container itself when `execId` is undefined. */
  private resize(id: string, execId: string | undefined, rows: number, cols: number): ReplyBody {
    const c = this.container(id);
    const term = execId === undefined ? c.console : c.execs.get(execId)?.console;
    if (!term) throw new Error(`${execId === undefined ? `container ${id}` : `exec ${execId}`} has no terminal`);
    term.resize(rows, cols);
    return { ok: true };
  }

  /** `crictl attach`: the passed stdout/stderr fds get the container's output from now on, until it exits. */
  private attach(id: string, fds: Map<FdName, number>): ReplyBody {
    const c = this.container(id);
    if (c.state.status !== undefined) throw new Error(`container ${id} is not running`);
    for (const stream of ['stdout', 'stderr'] as const) {
      const fd = fds.get(stream);
      if (fd === undefined) continue;
      fds.delete(stream);
      c.log.attach(stream, fd);
    }
    return { ok: true };
  }

  /**
   * A new stub: a copy of the template, or, should the template have been
   * killed from outside, of any live process's stub (exec replaces all but
   * the stub's own page anyway).
   */
  private forkStub(): Context {
    try {
      return this.template.fork();
    } catch (e) {
      if (!(e instanceof HostError && e.errno === ESRCH)) throw e;
      for (const t of this.kernel.tasks.values()) {
        try {
          const ctx = t.ctx.fork();
          this.template = ctx;
          return ctx.fork();
        } catch (e2) {
          if (!(e2 instanceof HostError && e2.errno === ESRCH)) throw e2;
        }
      }
      throw new Error('the pod sandbox has no live stub left to start processes from');
    }
  }

  /** A process on a copy of the template stub; `setup` runs (as root, e.g. to write files) before it takes the spec's identity. */
  private newProcess(
    container: string, spec: ProcessSpec, vfs: Vfs, stdio: (t: Task) => FileDescription[], oomScoreAdj: number, setup: (t: Task) => void = () => undefined,
  ): Task {
    const k = this.kernel;
    const ctx = this.forkStub();
    const p = new Process(
      k, k.allocTid(), 0, new MemoryManager(ctx.as, ctx.mem, STUB_BASE), new FdTable(), new FsContext('/'), new Credentials(), defaultLimits(),
    );
    p.mounts = vfs;
    p.container = container;
    const t = new Task(k, p.pid, p, ctx);
    k.processes.set(p.pid, p);
    k.tasks.set(t.tid, t);
    setup(t);
    p.creds = new Credentials(spec.uid, spec.gid, spec.uid, spec.gid, spec.uid, spec.gid, [...spec.groups]);
    if (spec.capabilities) p.creds.caps = capSetsOf(spec.capabilities);
    if (spec.seccomp) p.seccomp = withFilter(NO_SECCOMP, newFilter(seccompProgram(spec.seccomp)));
    p.noNewPrivs = spec.noNewPrivs ? 1 : 0;
    p.oomScoreAdj = p.oomScoreAdjMin = oomScoreAdj;
    stdio(t).forEach((f, fd) => p.fds.installAt(fd, f, false));
    setInitialCwd(t, spec.cwd);
    return t;
  }

  /**
   * kill(2) from outside the container: like signals from a parent PID
   * namespace, the container's init only gets those it handles, plus
   * SIGKILL and SIGSTOP.
   */
  private signal(id: string, execId: string | undefined, signo: number): ReplyBody {
    if (!validSignal(signo)) fail('EINVAL', `signal ${signo}`);
    const c = this.container(id);
    const target = execId === undefined ? c.init : c.execs.get(execId)?.process;
    if (!target) throw new Error(`no exec ${execId} in container ${id}`);
    if (target.exitStatus !== undefined) return { ok: true };
    const unkillable = target === c.init && c.ownPidNamespace && signo !== SIGKILL && signo !== SIGSTOP;
    if (unkillable && target.sigactions.get(signo).handler === SIG_DFL) return { ok: true, delivered: false };
    sendSignal(target, signo);
    return { ok: true };
  }

  /** The pod's sysctls: all are checked before any is set, so a refused one changes nothing. */
  private sysctl(values: Record<string, string>): ReplyBody {
    for (const [name, value] of Object.entries(values)) {
      const refusal = sysctlRefusal(name);
      if (refusal) throw new Error(refusal);
      try {
        parseSysctl(SYSCTLS[sysctlName(name)], value, this.kernel.sysctls.get(name));
      } catch (e) {
        throw new Error(`sysctl ${name}=${JSON.stringify(value)}: ${(e as Error).message}`);
      }
    }
    for (const [name, value] of Object.entries(values)) this.kernel.sysctls.set(name, value);
    return { ok: true };
  }

  private reopenLog(id: string, fd: number): ReplyBody {
    const c = this.containers.get(id);
    if (!c) {
      closeFd(fd);
      throw new Error(`no container ${id} in this pod`);
    }
    c.log.reopen(fd);
    return { ok: true };
  }

  private remove(id: string): ReplyBody {
    const c = this.containers.get(id);
    if (!c) return { ok: true };
    if (c.state.status === undefined) throw new Error(`container ${id} is still running`);
    this.containers.delete(id);
    for (const g of c.gofers) g.close();
    c.stdout.decRef();
    c.log.close();
    if (c.stdinFd !== undefined) closeFd(c.stdinFd);
    return { ok: true };
  }

  private usage(): ContainerUsage[] {
    return [...this.containers.values()]
      .filter((c) => c.state.status === undefined)
      .map((c) => {
        const layer = writableLayer(c.vfs);
        const stubPids = [...this.kernel.processes.values()]
          .filter((p) => p.container === c.id && p.exitStatus === undefined)
          .flatMap((p) => [...p.tasks].slice(0, 1).map((t) => t.ctx.hostPid ?? 0))
          .filter((pid) => pid > 0);
        return {
          container: c.id, stubPids, writableBytes: layer.bytes, writableInodes: layer.inodes, memoryLimitBytes: c.memory.limit, oomKills: c.memory.oomKills,
        };
      });
  }

  /** After a syscall of `p`: its container's memory limit (memory.ts); a kill there marks the container OOM-killed. */
  private checkMemory(p: Process): void {
    const c = this.containers.get(p.container);
    if (c && c.state.status === undefined) c.memory.check(p);
  }

  /** A thread stopped at the request of its container's memory check (memory.ts requestStops). */
  private interrupted(ctx: Context): void {
    const t = this.kernel.sched.taskOf(ctx);
    const c = t && this.containers.get(t.process.container);
    if (c && c.state.status === undefined) c.memory.interrupted(ctx);
  }

  private list(): ProcessState[] {
    return [...this.containers.values()].flatMap((c) => [c.state, ...[...c.execs.values()].map((e) => e.state)]);
  }

  /** A process ended: a container's init takes the whole container down; exec'd processes are reported. */
  private exited(p: Process): void {
    if (p === this.pause) {
      // The init of the pod's PID namespace ended (SIGTERM or SIGINT): so does everything in it.
      this.kernel.debug(`the pod's pause process ended (status ${p.exitStatus}): ending the pod`);
      this.end();
      return;
    }
    const c = this.containers.get(p.container);
    if (!c || p.exitStatus === undefined) return;
    if (p === c.init) {
      this.kernel.containerInits.delete(c.id);
      for (const q of [...this.kernel.processes.values()]) {
        if (q.container === c.id && q.exitStatus === undefined) q.exit(killedStatus(SIGKILL));
      }
      c.console?.close();
      c.stdout.flush();
      c.log.detachAll();
      this.finish(c.state, p.exitStatus);
      return;
    }
    for (const e of c.execs.values()) {
      if (e.process !== p) continue;
      e.console?.close();
      this.finish(e.state, p.exitStatus);
    }
  }

  private finish(s: ProcessState, status: number): void {
    s.status = status;
    s.finishedAt = Date.now();
    this.emit({ event: 'exit', container: s.container, exec: s.exec, status, at: s.finishedAt, oomKilled: s.oomKilled });
  }
}

/** Refuses a process spec the Sentry cannot honour before anything is set up for it (unknown capabilities, a bad filter). */
function checkSpec(spec: ProcessSpec): void {
  if (spec.capabilities) capSetsOf(spec.capabilities);
  if (spec.seccomp) seccompProgram(spec.seccomp);
}

/** A runtime-supplied seccomp filter, checked as seccomp(2) checks an app's. */
function seccompProgram(base64: string): BpfProgram {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length % SOCK_FILTER_SIZE !== 0) throw new Error('seccomp filter: not a whole number of instructions');
  const prog = decodeProgram(bytes);
  try {
    checkProgram(prog);
  } catch (e) {
    throw new Error(`seccomp filter refused: ${(e as Error).message}`);
  }
  return prog;
}

/** Removes and returns a required descriptor of a request. */
function take(fds: Map<FdName, number>, name: FdName): number {
  const fd = fds.get(name);
  if (fd === undefined) throw new Error(`request carries no ${name} descriptor`);
  fds.delete(name);
  return fd;
}

/** Each file as a mount of its own over its path (like the bind mounts of a runc container's /etc/hosts), writable. */
function mountFiles(vfs: Vfs, files: FileSpec[]): void {
  if (files.length === 0) return;
  const fs = new Tmpfs(vfs.allocDev());
  for (const f of files) {
    const file = new TmpfsFile(fs, f.mode, { uid: 0, gid: 0 });
    file.write(Buffer.from(f.data, 'base64'), 0);
    const path = posix.normalize(f.path).replace(/(.)\/$/, '$1');
    vfs.mount(path, file, 'tmpfs', { root: `/${posix.basename(path)}` });
  }
}

/** Creates or replaces a file (and its missing parent directories) in the task's root. */
function writeFile(t: Task, f: FileSpec): void {
  const vfs = t.process.mounts;
  const parts = f.path.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    try {
      vfs.mkdirAt(t, AT_FDCWD, `/${parts.slice(0, i).join('/')}`, 0o755);
    } catch (e) {
      if (!(e instanceof LinuxError && e.errno === Errno.EEXIST)) throw e;
    }
  }
  const file = vfs.openPath(t, f.path, O.WRONLY | O.CREAT | O.TRUNC, f.mode);
  try {
    file.write(Buffer.from(f.data, 'base64'));
  } finally {
    file.decRef();
  }
}

function devNull(t: Task): FileDescription {
  return t.process.mounts.openPath(t, '/dev/null', O.RDWR);
}

/** stdin/stdout/stderr from passed host fds (closed when the sandbox closes them); /dev/null for those not passed. */
function passedStdio(t: Task, fds: Map<FdName, number>): FileDescription[] {
  return (['stdin', 'stdout', 'stderr'] as const).map((name, i) => {
    const fd = fds.get(name);
    if (fd === undefined) return devNull(t);
    fds.delete(name);
    return new HostFile(fd, i === 0 ? O.RDONLY : O.WRONLY, true);
  });
}
