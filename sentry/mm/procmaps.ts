import { PROT } from '../abi/linux/mm';
import { shmMapsName } from './shmattach';
import { Vma } from './vma';

/** Width Linux pads a maps line's prefix to before the name (fs/proc/task_mmu.c). */
const NAME_COLUMN = 25 + 8 * 6 - 1;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Major and minor of a userspace dev_t (glibc's gnu_dev_major/minor encoding). */
export function devMajorMinor(dev: number): [number, number] {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return [major, minor];
}

function mapsName(v: Vma): string {
  switch (v.backing.kind) {
    case 'file':
      return v.backing.path;
    case 'heap':
      return '[heap]';
    case 'stack':
      return '[stack]';
    case 'named':
    case 'vdso':
      return v.backing.name;
    case 'sysvshm':
      return shmMapsName(v.backing.seg);
    case 'shmem':
      // Linux backs it with an unlinked shmem file named after /dev/zero.
      return '/dev/zero (deleted)';
    case 'anon':
      return '';
  }
}

/**
 * One /proc/[pid]/maps line:
 * `%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu `, padded to column 72 and
 * followed by a space and the name when there is one.
 */
export function formatMapsLine(v: Vma): string {
  const b = v.backing;
  // A SysV segment and shared anonymous memory show as their unlinked shmem files: device 00:01 (the
  // shm mount), inode = the segment's shmid or the object's id (Linux's are numbers of that mount).
  const file = b.kind === 'file' ? b : b.kind === 'sysvshm' ? { offset: b.offset, dev: 1, ino: b.seg.id } : b.kind === 'shmem' ? { offset: b.offset, dev: 1, ino: b.id } : undefined;
  const [major, minor] = file ? devMajorMinor(file.dev) : [0, 0];
  const perms =
    ((v.prot & PROT.READ) !== 0 ? 'r' : '-') +
    ((v.prot & PROT.WRITE) !== 0 ? 'w' : '-') +
    ((v.prot & PROT.EXEC) !== 0 ? 'x' : '-') +
    (v.shared ? 's' : 'p');
  const prefix = `${hex(v.start, 8)}-${hex(v.end, 8)} ${perms} ${hex(file?.offset ?? 0, 8)} ${hex(major, 2)}:${hex(minor, 2)} ${file?.ino ?? 0} `;
  const name = mapsName(v);
  if (name === '') return `${prefix}\n`;
  return `${prefix.padEnd(NAME_COLUMN)} ${name}\n`;
}
