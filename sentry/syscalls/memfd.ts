/** memfd_create(2) and the file-seal fcntls (F_ADD_SEALS, F_GET_SEALS); the files are fsimpl/tmpfs/memfd.ts. */
import { F, O } from '../abi/linux/fs';
import { MFD, MFD_NAME_MAX } from '../abi/linux/memfd';
import { fail, isLinuxError } from '../errors/linuxerr';
import { createMemfd } from '../fsimpl/tmpfs/memfd';
import type { Task } from '../kernel/task';
import { readCString } from '../kernel/usermem';
import type { FileDescription } from '../vfs/file';
import { InodeFile } from '../vfs/inodefile';
import type { SyscallArgs } from './args';
import { installNew } from './eventfd';
import { FamilyRows, partial } from './rows';

const KNOWN = MFD.CLOEXEC | MFD.ALLOW_SEALING | MFD.HUGETLB | MFD.NOEXEC_SEAL | MFD.EXEC;
/** MFD_HUGETLB's page size bits (MFD_HUGE_MASK << MFD_HUGE_SHIFT). */
const HUGE_SIZE_BITS = 0x3f << 26;

/**
 * memfd_create(2): the flags are checked first (EINVAL: unknown ones, size
 * bits without MFD_HUGETLB, MFD_EXEC with MFD_NOEXEC_SEAL), then the name
 * (EFAULT; EINVAL past 249 bytes). MFD_HUGETLB is ENOMEM: the sandbox has
 * no huge pages (Linux makes the file and fails its mmap).
 */
function memfdCreate(t: Task, a: SyscallArgs): number {
  const flags = a.uint(1);
  const allowed = flags & MFD.HUGETLB ? KNOWN | HUGE_SIZE_BITS : KNOWN;
  if (flags & ~allowed) fail('EINVAL', `memfd_create flags ${flags}`);
  if (flags & MFD.EXEC && flags & MFD.NOEXEC_SEAL) fail('EINVAL', 'MFD_EXEC with MFD_NOEXEC_SEAL');
  let name: string;
  try {
    name = readCString(t.mem, a.ptr(0), MFD_NAME_MAX + 1);
  } catch (e) {
    if (isLinuxError(e, 'ENAMETOOLONG')) fail('EINVAL', 'memfd name too long');
    throw e;
  }
  if (flags & MFD.HUGETLB) fail('ENOMEM', 'no huge pages');
  return installNew(t, createMemfd(t, name, flags), (flags & MFD.CLOEXEC) !== 0);
}

/**
 * fcntl's F_GET_SEALS and F_ADD_SEALS (undefined for other commands):
 * EINVAL on files that cannot be sealed; adding needs a description open
 * for writing (EPERM, checked first, as Linux's memfd_add_seals).
 */
export function sealFcntl(f: FileDescription, cmd: number, arg: number): number | undefined {
  if (cmd !== F.GET_SEALS && cmd !== F.ADD_SEALS) return undefined;
  if (cmd === F.ADD_SEALS && (f.flags & O.ACCMODE) === O.RDONLY) fail('EPERM', 'F_ADD_SEALS on a read-only description');
  const inode = f instanceof InodeFile ? f.inode : undefined;
  if (cmd === F.GET_SEALS) return inode?.seals ?? fail('EINVAL', 'F_GET_SEALS on a file that cannot be sealed');
  (inode ?? fail('EINVAL', 'F_ADD_SEALS on a file that cannot be sealed')).addSeals(arg >>> 0);
  return 0;
}

export const memfdRows: FamilyRows = {
  memfd_create: partial(memfdCreate, 'MFD_HUGETLB is ENOMEM (no huge pages)'),
};
