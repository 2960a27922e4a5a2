/**
 * The pod Sentry's control protocol, spoken over a unix stream socket
 * between the CRI server (client) and `tsvisor sandbox` (server).
 *
 * Framing: a 4-byte little-endian length, then that many bytes of JSON.
 * A request names the descriptors it carries in `fds` (one name each, in
 * the order they were attached with SCM_RIGHTS to the message's first
 * byte). Requests have an `id`; the Sentry answers each with a Reply of the
 * same `re`. Events (container and exec exits) are sent to every client.
 */

import type { CapNameSets } from '../kernel/capabilities';

/** A mount of a container: a Gofer connection (passed as fd `gofer:<dest>`) at `dest`. */
export interface MountSpec {
  dest: string;
  readOnly: boolean;
}

/** What a process runs as, and with what. */
export interface ProcessSpec {
  argv: string[];
  envp: string[];
  cwd: string;
  uid: number;
  gid: number;
  groups: number[];
  /** PR_SET_NO_NEW_PRIVS from the start: set-id executables do not raise privileges. */
  noNewPrivs?: boolean;
  /**
   * The capability sets before the program is exec'd (names as in the OCI
   * runtime spec, "CAP_CHOWN"); the exec then applies Linux's rules, so a
   * non-root user keeps only its ambient set. Absent: those of the ids on a
   * host (root has everything).
   */
  capabilities?: CapNameSets;
  /**
   * A seccomp filter (base64 struct sock_filter array) installed on the
   * process before its program is exec'd, as runc installs a container's
   * profile; exec'd processes of the container get it too.
   */
  seccomp?: string;
}

/**
 * A container's CPU settings from linux.resources, as its cgroup shows
 * them (/sys/fs/cgroup, cgroup v2 values as runc writes them). The pod's
 * host cgroup enforces the pod's total; these are what the container sees.
 */
export interface CpuSettings {
  /** cpu.max: "QUOTA PERIOD" in µs, QUOTA "max" for none (absent: "max 100000"). */
  cpuMax?: string;
  /** cpu.weight, 1-10000 (absent: 100). */
  cpuWeight?: number;
}

/** A file put into the container's root before it starts (the pod's /etc/hosts, resolv.conf, hostname). */
export interface FileSpec {
  path: string;
  /** Contents, base64. */
  data: string;
  mode: number;
}

export type Request =
  | ({
      op: 'start'; container: string; rootReadOnly: boolean; mounts: MountSpec[]; files: FileSpec[]; tty?: boolean;
      /** The container has a PID namespace of its own (Kubernetes' default): its first process is that namespace's init. */
      ownPidNamespace?: boolean;
      /** Paths hidden from the container (an empty read-only tmpfs over a directory, /dev/null over a file). */
      maskedPaths?: string[];
      /** Paths made read-only in the container (EROFS on writes). */
      readonlyPaths?: string[];
      /** linux.resources.memory_limit_in_bytes: over it, the Sentry's OOM killer kills the biggest process (absent, 0: unlimited). */
      memoryLimitBytes?: number;
      /** linux.resources.oom_score_adj, -1000 to 1000 (absent: 0): its processes' and exec'd processes' oom_score_adj, and their floor. */
      oomScoreAdj?: number;
    } & CpuSettings & ProcessSpec)
  | { op: 'attach'; container: string }
  | ({ op: 'exec'; container: string; exec: string; tty?: boolean; size?: { rows: number; cols: number } } & ProcessSpec)
  | { op: 'resize'; container: string; exec?: string; rows: number; cols: number }
  | { op: 'signal'; container: string; exec?: string; signal: number }
  | { op: 'reopenLog'; container: string }
  | { op: 'remove'; container: string }
  | { op: 'list' }
  /** The pod's sysctls (namespaced ones only, "net.core.somaxconn": "1024"), set before its first container starts. */
  | { op: 'sysctl'; values: Record<string, string> }
  | { op: 'stats' }
  /** UpdateContainerResources: a running container's new memory limit (0: unlimited) and CPU settings. */
  | ({ op: 'resources'; container: string; memoryLimitBytes: number } & CpuSettings)
  /**
   * kubectl port-forward: connect to 127.0.0.1:`port` through the pod's own
   * network stack and join that connection to the passed `stream` fd (one
   * end of a host stream socket). Answered once the connection is up or
   * failed; after that, the bytes flow until both directions ended.
   */
  | { op: 'portForward'; port: number }
  | { op: 'shutdown' };

/** Descriptor names a request may carry. */
export type FdName = 'gofer:/' | `gofer:${string}` | 'log' | 'stdin' | 'stdout' | 'stderr' | 'stream';

export type RequestMessage = Request & { id: number; fds: FdName[] };

/** How a container or exec'd process is doing, as `list` reports it. */
export interface ProcessState {
  container: string;
  exec?: string;
  pid: number;
  /** Wait status (Linux encoding) once it exited. */
  status?: number;
  startedAt: number;
  finishedAt?: number;
  /** The Sentry's OOM killer killed one of the container's processes (containerd's reason OOMKilled). */
  oomKilled?: boolean;
}

/** What the Sentry knows of a running container's resources. */
export interface ContainerUsage {
  container: string;
  /** Pids of the stubs running its processes, as the Sentry sees them (in its own PID namespace). */
  stubPids: number[];
  /** The writable layer (the in-memory overlay's upper tmpfs). */
  writableBytes: number;
  writableInodes: number;
  /** Its memory limit (0: none) and how many of its processes the OOM killer killed (memory.events oom_kill). */
  memoryLimitBytes: number;
  oomKills: number;
}

/** What a request produced; `code` is the exit code a failed start reports (127 not found, 126 not runnable). */
export type ReplyBody =
  /** `delivered` (signal): false when a container's init dropped the signal for want of a handler. */
  | { ok: true; pid?: number; processes?: ProcessState[]; usage?: ContainerUsage[]; delivered?: boolean }
  | { ok: false; error: string; code?: number };

export type Reply = ReplyBody & { re: number };

export interface ExitEvent {
  event: 'exit';
  container: string;
  exec?: string;
  status: number;
  at: number;
  /** The container (not an exec) had a process killed by the OOM killer. */
  oomKilled?: boolean;
}

export type ServerMessage = Reply | ExitEvent;

/** Largest accepted message; a start request with a big environment stays far below. */
export const MAX_MESSAGE = 4 << 20;

export function encode(msg: object): Buffer {
  const body = Buffer.from(JSON.stringify(msg));
  if (body.length > MAX_MESSAGE) throw new Error(`control message too large (${body.length} bytes)`);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length, 0);
  return Buffer.concat([head, body]);
}

/**
 * Incremental decoder: feed it bytes as they come (messages may be split
 * or merged arbitrarily), get whole parsed messages back.
 */
export class Decoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): unknown[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: unknown[] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32LE(0);
      if (len > MAX_MESSAGE) throw new Error(`control message too large (${len} bytes)`);
      if (this.buf.length < 4 + len) break;
      out.push(JSON.parse(this.buf.subarray(4, 4 + len).toString('utf8')));
      this.buf = this.buf.subarray(4 + len);
    }
    return out;
  }
}
