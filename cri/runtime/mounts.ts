/**
 * Read-only volume mounts, by the CRI's rules. Each directory mount is a
 * tree of the container's Gofer (gofer/stage.ts) that holds the host tree
 * below its path, mounts included, and a read-only tree refuses writes
 * everywhere below: that is a recursive read-only mount
 * (`recursive_read_only`, advertised in the handler's features). A plain
 * `readonly` mount is not recursive: host mounts below it keep their own
 * writability, so each gets a writable tree of its own, mounted at the same
 * place in the container.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mountPoints } from '../pod/mountinfo';
import { MountPropagation, type Mount } from '../proto/types';
import { invalidArgument } from '../server/errors';

/** Refuses what the CRI forbids: a recursive read-only mount must be read-only and private. */
export function checkReadOnlyMounts(mounts: readonly Mount[]): void {
  for (const m of mounts) {
    if (!m.recursive_read_only) continue;
    const where = `mount ${JSON.stringify(m.container_path)}`;
    if (!m.readonly) throw invalidArgument(`${where}: recursive_read_only needs readonly`);
    if (m.propagation !== MountPropagation.PROPAGATION_PRIVATE) {
      throw invalidArgument(`${where}: recursive_read_only needs private propagation, got ${MountPropagation[m.propagation] ?? m.propagation}`);
    }
  }
}

/**
 * Directories mounted on the host strictly below `dir` (resolved), sorted;
 * only the outermost ones, since a tree holds the mounts below its own.
 */
export function hostMountsBelow(dir: string, mountinfo?: string): string[] {
  const root = fs.realpathSync(dir);
  const below = [...new Set(mountPoints(mountinfo).filter((p) => p.startsWith(`${root}/`) && isDirectory(p)))].sort();
  return below.filter((p) => !below.some((q) => p.startsWith(`${q}/`)));
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false; // gone since mountinfo was read
  }
}

/**
 * The directory mounts with, after each non-recursive read-only one, a
 * writable mount for every host mount below its host path.
 */
export function withWritableSubmounts(mounts: readonly Mount[], mountinfo?: string): Mount[] {
  return mounts.flatMap((m) => {
    if (!m.readonly || m.recursive_read_only) return [m];
    const root = fs.realpathSync(m.host_path);
    const subs = hostMountsBelow(root, mountinfo).map((host) => ({
      ...m, host_path: host, container_path: path.posix.join(m.container_path, path.relative(root, host)), readonly: false,
    }));
    return [m, ...subs];
  });
}
