/**
 * /proc/[pid]/mounts and /proc/[pid]/mountinfo (proc(5)): the mount table
 * of that process's mount namespace (its container's, in a pod), not the
 * Sentry's. Mount options are the read-only flag and relatime; no mount
 * has propagation (mountinfo's optional fields stay empty, as for the
 * private mounts of a container).
 */
import { major, minor } from '../../abi/linux/fs';
import type { MountInfo, Vfs } from '../../vfs/vfs';

/** Space, tab, newline and backslash as octal escapes, as the kernel's seq_file mangling writes them. */
function mangle(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

function mountOptions(m: MountInfo): string {
  return `${m.readOnly ? 'ro' : 'rw'},relatime`;
}

/** /proc/[pid]/mounts: fstab format, one line per mount in mount order. */
export function procMounts(vfs: Vfs): string {
  return vfs
    .mountList()
    .map((m) => `${mangle(m.source)} ${mangle(m.path)} ${m.fs.type} ${mountOptions(m)} 0 0\n`)
    .join('');
}

/**
 * /proc/[pid]/mountinfo: mount ID, parent ID, st_dev as major:minor, the
 * mounted root within its filesystem, the mount point, the mount's
 * options, " - ", type, source and the filesystem's own options. The
 * root mount names itself as parent (its real parent is outside the
 * namespace).
 */
export function procMountInfo(vfs: Vfs): string {
  return vfs
    .mountList()
    .map((m) => {
      const dev = `${major(m.fs.dev)}:${minor(m.fs.dev)}`;
      const superOptions = m.fs.readOnly ? 'ro' : 'rw';
      return `${m.id} ${vfs.parentMount(m.path).id} ${dev} ${mangle(m.root)} ${mangle(m.path)} ${mountOptions(m)} - ${m.fs.type} ${mangle(m.source)} ${superOptions}\n`;
    })
    .join('');
}
