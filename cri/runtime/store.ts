/**
 * Pod and container records, persisted one JSON file per object
 * (<root>/pods/<id>/pod.json, <root>/containers/<id>/container.json) and
 * written atomically (temp file, fsync, rename), so a server killed at any
 * point finds either the old or the new record. Records carry a version
 * to refuse files from a future layout.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as t from '../proto/types';
import { invalidArgument } from '../server/errors';

export const RECORD_VERSION = 1;
/**
 * A record directory being deleted is first renamed with this prefix: its
 * files go one by one, and a server killed in between would otherwise
 * leave a directory whose record is gone but whose other files (a pod's
 * /etc/hosts) stay, skipped by every later load. load() finishes these.
 */
const DELETING = '.deleting-';

export interface PodRecord {
  version: number;
  id: string;
  config: t.PodSandboxConfig;
  handler: string;
  /** Nanoseconds since the epoch, as a decimal string (CRI timestamps). */
  createdAt: string;
  state: 'ready' | 'notready';
  netnsPath?: string;
  ips: string[];
  cgroupPath?: string;
  /** Directory with the Sentry's control socket and log. */
  runDir: string;
  /** Host pid of the Sentry process (killing it ends the pod). */
  sentryPid?: number;
  /** /etc/hosts, /etc/resolv.conf, /etc/hostname for the containers. */
  files?: { hostsPath: string; resolvPath: string; hostnamePath: string };
}

export interface ContainerRecord {
  version: number;
  id: string;
  podId: string;
  config: t.ContainerConfig;
  imageId: string;
  imageRef: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  state: 'created' | 'running' | 'exited' | 'unknown';
  exitCode?: number;
  reason?: string;
  message?: string;
  /** Absolute host path of the CRI log, '' when the pod has no log directory. */
  logPath: string;
}

/** One kind of record in its directory. */
export class RecordStore<R extends { id: string; version: number }> {
  readonly records = new Map<string, R>();

  constructor(
    private readonly dir: string,
    private readonly file: string,
    /** What a record is, for errors: "pod sandbox", "container". */
    private readonly what: string,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Loads every record; unreadable ones are reported and skipped, never fatal. */
  load(warn: (msg: string) => void): void {
    for (const id of fs.readdirSync(this.dir)) {
      if (id.startsWith(DELETING)) {
        fs.rmSync(path.join(this.dir, id), { recursive: true, force: true });
        continue;
      }
      const file = path.join(this.dirOf(id), this.file);
      const tmp = `${file}.tmp`;
      try {
        // A crash during the first save leaves only the temp file, and no other
        // resource exists yet (the record is saved before any is made).
        if (!fs.existsSync(file) && fs.readdirSync(this.dirOf(id)).every((f) => f === path.basename(tmp))) {
          warn(`removing ${this.dirOf(id)}: its first record was never completely written`);
          fs.rmSync(this.dirOf(id), { recursive: true, force: true });
          continue;
        }
        fs.rmSync(tmp, { force: true });
        const r = JSON.parse(fs.readFileSync(file, 'utf8')) as R;
        if (r.version !== RECORD_VERSION || r.id !== id) throw new Error(`version ${r.version}, id ${r.id}`);
        this.records.set(id, r);
      } catch (e) {
        warn(`skipping record ${file}: ${(e as Error).message}`);
      }
    }
  }

  dirOf(id: string): string {
    return path.join(this.dir, id);
  }

  save(r: R): void {
    const dir = this.dirOf(r.id);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const final = path.join(dir, this.file);
    const tmp = `${final}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(r));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, final);
    this.records.set(r.id, r);
  }

  /** Applies `fn` to a copy and saves it; the in-memory record changes only once it is on disk. */
  update(id: string, fn: (r: R) => void): R {
    const cur = this.records.get(id);
    if (!cur) throw new Error(`no record ${id}`);
    const next = structuredClone(cur);
    fn(next);
    this.save(next);
    return next;
  }

  /** Removes the record and its directory; a crash part way leaves a DELETING directory that load() removes. */
  delete(id: string): void {
    const doomed = path.join(this.dir, `${DELETING}${id}`);
    fs.rmSync(doomed, { recursive: true, force: true });
    try {
      fs.renameSync(this.dirOf(id), doomed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.records.delete(id);
    fs.rmSync(doomed, { recursive: true, force: true });
  }

  /**
   * The record with this full id, or the only one whose id starts with
   * `prefix`; a prefix of several is refused (acting on one of them, or on
   * none as if it were gone, would both be wrong).
   */
  find(prefix: string): R | undefined {
    if (!prefix) return undefined;
    const exact = this.records.get(prefix);
    if (exact) return exact;
    const hits = [...this.records.values()].filter((r) => r.id.startsWith(prefix));
    if (hits.length > 1) throw invalidArgument(`${this.what} id prefix ${JSON.stringify(prefix)} is ambiguous (it matches ${hits.length})`);
    return hits[0];
  }
}
