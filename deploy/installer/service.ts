/**
 * The node service that runs `tsvisor cri`: a systemd unit where systemd is
 * the node's init, else a detached process with a pidfile. The process is
 * started in the node's namespaces and moved to the root cgroup of every
 * hierarchy first: left in the installer pod's cgroup, it would be killed
 * with the pod (a hostPID container's runtime kills every process of its
 * cgroup when the container stops).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Host, HostError, runOk } from './host';

export interface ServiceSpec {
  /** systemd unit name (without .service) or the pidfile/log base name. */
  name: string;
  installDir: string;
  /** The `tsvisor cri --config` file. */
  configFile: string;
}

export interface NodeService {
  readonly kind: 'systemd' | 'process';
  /** Starts the service, or restarts it when `changed`; a no-op when it runs and nothing changed. */
  start(changed: boolean): Promise<void>;
  /** Stops the service and removes what start() wrote. Idempotent. */
  remove(): Promise<void>;
  /** Where its output goes, for error messages. */
  logHint(): string;
}

const nodeBinary = (s: ServiceSpec) => path.join(s.installDir, 'node');
const tsvisorBin = (s: ServiceSpec) => path.join(s.installDir, 'bin', 'tsvisor');

/** The unit's text: kubelet should start after it; its sandboxes outlive a restart (KillMode=process). */
export function systemdUnit(s: ServiceSpec): string {
  return `# Written by the tsvisor installer; removed on uninstall.
[Unit]
Description=tsvisor CRI runtime (kubelet's runtime endpoint for gvisor pods)
After=network-online.target
Before=kubelet.service

[Service]
Environment=TSVISOR_NODE=${nodeBinary(s)}
ExecStart=${tsvisorBin(s)} cri --config ${s.configFile}
Restart=always
RestartSec=2
KillMode=process

[Install]
WantedBy=multi-user.target
`;
}

export class SystemdService implements NodeService {
  readonly kind = 'systemd';

  constructor(
    private readonly host: Host,
    private readonly spec: ServiceSpec,
  ) {}

  private get unitFile(): string {
    return `/etc/systemd/system/${this.spec.name}.service`;
  }

  private get unit(): string {
    return `${this.spec.name}.service`;
  }

  /**
   * enable and disable reload the manager even when no link changes
   * (systemctl(1)), so they run only when needed and with --no-reload: a run
   * that changes nothing reloads nothing, others reload once.
   */
  async start(changed: boolean): Promise<void> {
    const file = this.host.path(this.unitFile);
    const text = systemdUnit(this.spec);
    const unitChanged = !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text;
    if (unitChanged) fs.writeFileSync(file, text, { mode: 0o644 });
    const enabled = (await this.host.run(['systemctl', 'is-enabled', '--quiet', this.unit])).code === 0;
    if (!enabled) await runOk(this.host, ['systemctl', 'enable', '--no-reload', this.unit]);
    if (unitChanged || !enabled) await runOk(this.host, ['systemctl', 'daemon-reload']);
    await runOk(this.host, ['systemctl', changed || unitChanged ? 'restart' : 'start', this.unit]);
  }

  async remove(): Promise<void> {
    const file = this.host.path(this.unitFile);
    if (!fs.existsSync(file)) return;
    await runOk(this.host, ['systemctl', 'disable', '--now', '--no-reload', this.unit]);
    fs.rmSync(file);
    await runOk(this.host, ['systemctl', 'daemon-reload']);
  }

  logHint(): string {
    return `journalctl -u ${this.unit}`;
  }
}

/**
 * Run in the node's namespaces with $1 pidfile, $2 log, $3 node, $4 bin/tsvisor, $5 config.
 * setsid: its own session, so no signal for the installer's group reaches it.
 */
const START_SCRIPT = `set -e
for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/*/cgroup.procs; do
  if [ -f "$f" ]; then echo $$ >"$f"; fi
done
TSVISOR_NODE="$3" setsid "$4" cri --config "$5" </dev/null >>"$2" 2>&1 &
echo $! >"$1"
`;

const STOP_GRACE_MS = 30_000;
const EXEC_WAIT_MS = 10_000;

export class ProcessService implements NodeService {
  readonly kind = 'process';

  constructor(
    private readonly host: Host,
    private readonly spec: ServiceSpec,
  ) {}

  get pidFile(): string {
    return `/run/${this.spec.name}.pid`;
  }

  get logFile(): string {
    return `/var/log/${this.spec.name}.log`;
  }

  /** The running server's pid: the pidfile's, if that process is still our `tsvisor cri`. */
  runningPid(): number | null {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(this.host.path(this.pidFile), 'utf8').trim());
    } catch {
      return null;
    }
    if (!Number.isInteger(pid) || pid <= 1) return null;
    const argv = this.host.cmdline(pid);
    const ours = argv !== null && argv.includes(path.join(this.spec.installDir, 'bin', 'tsvisor.js')) && argv.includes('cri');
    return ours ? pid : null; // a recycled pid is someone else's: never signalled
  }

  async start(changed: boolean): Promise<void> {
    if (this.runningPid() !== null) {
      if (!changed) return;
      await this.stop();
    }
    await runOk(this.host, ['/bin/sh', '-c', START_SCRIPT, 'tsvisor-start', this.pidFile, this.logFile, nodeBinary(this.spec), tsvisorBin(this.spec), this.spec.configFile]);
    // The pidfile names setsid, which becomes bin/tsvisor, which becomes node: wait for the last exec.
    for (const deadline = Date.now() + EXEC_WAIT_MS; this.runningPid() === null; ) {
      if (Date.now() > deadline) throw new HostError(`tsvisor cri did not start; see ${this.logFile} on the node`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async stop(): Promise<void> {
    const pid = this.runningPid();
    if (pid === null) return;
    process.kill(pid, 'SIGTERM'); // graceful: the server closes its socket, pods keep running
    const deadline = Date.now() + STOP_GRACE_MS;
    while (this.host.cmdline(pid) !== null) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    while (this.host.cmdline(pid) !== null) await new Promise((r) => setTimeout(r, 50));
  }

  async remove(): Promise<void> {
    await this.stop();
    fs.rmSync(this.host.path(this.pidFile), { force: true });
    fs.rmSync(this.host.path(this.logFile), { force: true });
  }

  logHint(): string {
    return `${this.logFile} on the node`;
  }
}
