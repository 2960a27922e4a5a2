// Persistent network namespaces: a namespace bind-mounted on <stateDir>/netns/<name>
// lives as long as the mount, independently of any process in it.
//
// Like `ip netns`, the netns directory is a shared mount (bound onto itself), so the
// namespace mounts are shared too: a mount namespace copied later (a Sentry's) gets
// peers of them, and unmounting here unmounts those copies, instead of pinning the
// namespace until that process exits.
import * as fs from 'fs';
import * as path from 'path';
import { assertSafeName } from './names';
import { isMountPoint } from './mountinfo';
import { runChecked } from './run';

const NSFS_MAGIC = 0x6e736673;

// create/remove of one directory run one at a time: unmounting the directory's own
// bind mount while another namespace is being mounted inside would lose that mount.
const dirLocks = new Map<string, Promise<unknown>>();
function serialized<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const prev = dirLocks.get(dir) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  const tail = next.catch(() => undefined);
  dirLocks.set(dir, tail);
  void tail.then(() => { if (dirLocks.get(dir) === tail) dirLocks.delete(dir); });
  return next;
}

async function ensureSharedDir(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (!isMountPoint(dir)) await runChecked('mount', ['--bind', dir, dir]);
  await runChecked('mount', ['--make-shared', dir]);
}

export function netnsExists(p: string): boolean {
  try {
    return fs.statfsSync(p).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}

/** Where createNetns mounts namespace `name` (known before it runs, so a crash during it can be undone). */
export function netnsPathOf(stateDir: string, name: string): string {
  assertSafeName('network namespace name', name);
  return path.join(path.resolve(stateDir, 'netns'), name);
}

/** Creates a new network namespace mounted at <stateDir>/netns/<name>; returns its path. Only `lo` (down) is in it. */
export async function createNetns(stateDir: string, name: string): Promise<string> {
  const p = netnsPathOf(stateDir, name);
  const dir = path.dirname(p);
  return serialized(dir, async () => {
    await ensureSharedDir(dir);
    if (netnsExists(p)) throw new Error(`network namespace ${p} already exists`);
    fs.closeSync(fs.openSync(p, 'w', 0o444)); // the bind mount needs a file to cover
    try {
      await runChecked('unshare', [`--net=${p}`, 'true']);
    } catch (e) {
      fs.rmSync(p, { force: true });
      throw new Error(`creating network namespace ${p}: ${(e as Error).message}`);
    }
    return p;
  });
}

/** Unmounts and deletes a namespace made by createNetns. Idempotent: a missing one is fine. */
export function removeNetns(p: string): Promise<void> {
  const abs = path.resolve(p);
  const dir = path.dirname(abs);
  return serialized(dir, async () => {
    while (isMountPoint(abs)) await runChecked('umount', [abs]);
    fs.rmSync(abs, { force: true });
    // The last namespace gone: drop the directory's own bind mount too, so nothing of
    // ours stays mounted.
    let empty = false;
    try { empty = fs.readdirSync(dir).length === 0; } catch { return; }
    if (empty) {
      while (isMountPoint(dir)) await runChecked('umount', [dir]);
      try { fs.rmdirSync(dir); } catch { /* something new appeared in it: keep it */ }
    }
  });
}
