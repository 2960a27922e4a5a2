/**
 * How much of a mount table's file data the Sentry holds in its own
 * memory (tmpfs mounts and the in-memory overlay's upper layer), which a
 * container's memory cgroup charges as Linux charges tmpfs pages.
 */
import { OverlayFs } from '../fsimpl/overlay/overlay';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs';
import { memfdFilesystem } from '../fsimpl/tmpfs/memfd';
import type { Vfs } from './vfs';

/**
 * What a memory cgroup is charged per tmpfs inode. Linux charges a tmpfs
 * inode and its names to the cgroup (shmem_inode_cache and the dentry
 * cache are accounted slabs), about 1 KiB per file; the Sentry keeps
 * 0.5-0.65 KiB of heap per empty file (measured over 200,000). Without
 * it, a container could grow the Sentry without bound through empty files.
 */
export const INODE_BYTES = 1024;

/** Memory that files take: their data (memory.stat's file and shmem) and their inodes (kernel, slab). */
export interface FilesInMemory {
  fileBytes: number;
  kernelBytes: number;
}

/** The writable layer of the root (its in-memory overlay's upper tmpfs): data bytes and inodes; nothing with a read-only or written-through root. */
export function writableLayer(vfs: Vfs): { bytes: number; inodes: number } {
  const root = vfs.mountList().find((m) => m.path === '/')?.fs;
  return root instanceof OverlayFs ? { bytes: root.upper.bytesInMemory, inodes: root.upper.inodesInUse } : { bytes: 0, inodes: 0 };
}

/**
 * Files held in memory: the writable layer, /tmp, /dev/shm, any other
 * tmpfs mounted and the memfds (fsimpl/tmpfs/memfd.ts), each filesystem once however many times it is mounted,
 * from the counts the tmpfs keep (a hard-linked file's data once, an
 * unlinked one until its last close, as Linux charges shmem pages).
 */
export function filesInMemory(vfs: Vfs): FilesInMemory {
  const seen = new Set<Tmpfs>();
  for (const { fs } of vfs.mountList()) {
    const t = fs instanceof OverlayFs ? fs.upper : fs instanceof Tmpfs ? fs : undefined;
    if (t) seen.add(t);
  }
  const memfds = memfdFilesystem(vfs);
  if (memfds) seen.add(memfds);
  const all = [...seen];
  return { fileBytes: all.reduce((n, t) => n + t.bytesInMemory, 0), kernelBytes: all.reduce((n, t) => n + t.inodesInUse, 0) * INODE_BYTES };
}

/** All that files take in memory, data and inodes. */
export function filesBytes(f: FilesInMemory): number {
  return f.fileBytes + f.kernelBytes;
}
