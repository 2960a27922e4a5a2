// The pod's cgroup (cgroupfs driver): holds the Sentry and the Gofers, carries the
// pod's limits, and is where its stats come from. v2 when the cgroupfs root has
// cgroup.controllers, v1 otherwise.
import * as fs from 'fs';
import * as path from 'path';
import { assertSafeName } from './names';
import { CgroupDriver, CgroupStats, Resources } from './cgroup-driver';
import { CgroupV1 } from './cgroup-v1';
import { CgroupV2 } from './cgroup-v2';

export type { CgroupStats, Resources } from './cgroup-driver';

const DEFAULT_ROOT = '/sys/fs/cgroup';
const DEFAULT_PARENT = 'tsvisor';
const DESTROY_TIMEOUT_MS = 10_000;

export function cgroupVersion(fsRoot = DEFAULT_ROOT): 1 | 2 {
  return fs.existsSync(path.join(fsRoot, 'cgroup.controllers')) ? 2 : 1;
}

function driverFor(fsRoot: string, version?: 1 | 2): CgroupDriver {
  return (version ?? cgroupVersion(fsRoot)) === 2 ? new CgroupV2(fsRoot) : new CgroupV1(fsRoot);
}

/** 'kubepods/burstable/podUID' or '/kubepods/…' → checked components joined by '/'. */
function relativePath(what: string, p: string): string {
  const segs = p.split('/').filter((s) => s !== '');
  if (segs.length === 0) throw new Error(`invalid ${what} ${JSON.stringify(p)}: empty`);
  for (const s of segs) assertSafeName(`${what} component`, s);
  return segs.join('/');
}

export interface PodCgroupOptions {
  /** CRI cgroup_parent, e.g. 'kubepods/burstable/podUID' or '/kubepods/…'; default 'tsvisor'. */
  parent?: string;
  name: string;
  /** The cgroupfs mount (tests use a fake tree); default /sys/fs/cgroup. */
  fsRoot?: string;
  /** Forces a driver instead of detecting it from fsRoot. */
  version?: 1 | 2;
}

export class PodCgroup {
  private constructor(private readonly driver: CgroupDriver, readonly path: string) {}

  /** Creates <parent>/<name> (and missing ancestors), enabling the controllers it needs; idempotent. */
  static create(opts: PodCgroupOptions): PodCgroup {
    assertSafeName('cgroup name', opts.name);
    const rel = `${relativePath('cgroup parent', opts.parent ?? DEFAULT_PARENT)}/${opts.name}`;
    const cg = new PodCgroup(driverFor(opts.fsRoot ?? DEFAULT_ROOT, opts.version), rel);
    cg.driver.create(rel);
    return cg;
  }

  /** The cgroup at `path` (as persisted from `.path`), after a server restart. */
  static open(p: string, opts: { fsRoot?: string; version?: 1 | 2 } = {}): PodCgroup {
    const rel = relativePath('cgroup path', p);
    const driver = driverFor(opts.fsRoot ?? DEFAULT_ROOT, opts.version);
    if (!driver.exists(rel)) throw new Error(`cgroup ${rel} does not exist`);
    return new PodCgroup(driver, rel);
  }

  get version(): 1 | 2 {
    return this.driver.version;
  }

  /** Moves a host process (and so its future children) into the cgroup. */
  addProcess(pid: number): void {
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`invalid pid ${pid}`);
    this.driver.addProcess(this.path, pid);
  }

  setResources(r: Resources): void {
    this.driver.setResources(this.path, r);
  }

  stats(): CgroupStats {
    return this.driver.stats(this.path);
  }

  pids(): number[] {
    return this.driver.pids(this.path);
  }

  /** Kills every process in the cgroup, waits until it is empty, and removes it; idempotent. */
  async destroy(): Promise<void> {
    if (!this.driver.exists(this.path)) return;
    const deadline = Date.now() + DESTROY_TIMEOUT_MS;
    for (;;) {
      const left = this.pids();
      if (left.length === 0) {
        try {
          this.driver.remove(this.path);
          return;
        } catch (e) {
          // EBUSY: an exiting task not yet released by the kernel.
          if (Date.now() > deadline) throw e;
        }
      } else {
        if (Date.now() > deadline) throw new Error(`cgroup ${this.path}: processes ${left.join(', ')} still alive ${DESTROY_TIMEOUT_MS} ms after SIGKILL`);
        this.driver.killAll(this.path);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
