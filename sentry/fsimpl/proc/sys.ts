/**
 * /proc/sys: the kernel's namespaced sysctls (kernel/sysctl.ts), root-owned
 * and writable (0644: a write(2) sets the value, EINVAL when Linux would
 * refuse it), beside read-only files describing the emulated kernel,
 * which only the host could change.
 */
import { CAP_LAST_CAP } from '../../abi/linux/capability';
import { INOTIFY_MAX_QUEUED_EVENTS, INOTIFY_MAX_USER_INSTANCES } from '../../abi/linux/inotify';
import { INOTIFY_MAX_WATCHES } from '../inotify/inotify';
import type { Kernel } from '../../kernel/kernel';
import { SYSCTLS } from '../../kernel/sysctl';
import { ProcChild, ProcDir, ProcFile, ProcFs, ROOT_OWNER } from './nodes';

/** The read-only files, by dotted name. */
const FIXED: Record<string, string> = {
  'kernel.osrelease': '4.4.0',
  'kernel.ostype': 'Linux',
  'kernel.version': '#1 SMP Sun Jan 10 15:06:54 PST 2016',
  'kernel.pid_max': '4194304',
  'kernel.ngroups_max': '65536',
  'kernel.cap_last_cap': String(CAP_LAST_CAP),
  'vm.overcommit_memory': '0',
  'vm.max_map_count': '65530',
  'vm.mmap_min_addr': '65536',
  'fs.nr_open': '1048576',
  'fs.inotify.max_queued_events': String(INOTIFY_MAX_QUEUED_EVENTS),
  'fs.inotify.max_user_instances': String(INOTIFY_MAX_USER_INSTANCES),
  'fs.inotify.max_user_watches': String(INOTIFY_MAX_WATCHES),
};

/** A directory level: files by name, subdirectories by name. */
interface Level {
  files: Map<string, ProcChild>;
  dirs: Map<string, Level>;
}

function levelAt(root: Level, parts: string[]): Level {
  let l = root;
  for (const p of parts) {
    let next = l.dirs.get(p);
    if (!next) l.dirs.set(p, (next = { files: new Map(), dirs: new Map() }));
    l = next;
  }
  return l;
}

/** The /proc/sys directory of `kernel`'s procfs. */
export function procSys(fs: ProcFs, kernel: Kernel): ProcChild {
  const root: Level = { files: new Map(), dirs: new Map() };
  const add = (name: string, make: ProcChild) => {
    const parts = name.split('.');
    levelAt(root, parts.slice(0, -1)).files.set(parts[parts.length - 1], make);
  };
  for (const [name, value] of Object.entries(FIXED)) add(name, (key) => new ProcFile(fs, key, ROOT_OWNER, () => `${value}\n`));
  add('kernel.threads-max', (key) => new ProcFile(fs, key, ROOT_OWNER, () => `${kernel.maxTasks}\n`));
  for (const name of Object.keys(SYSCTLS)) {
    add(name, (key) => new ProcFile(fs, key, ROOT_OWNER, () => `${kernel.sysctls.get(name)}\n`, 0o644, (data) => kernel.sysctls.set(name, data)));
  }
  const dir = (l: Level): ProcChild => (key) =>
    new ProcDir(fs, key, ROOT_OWNER, () => new Map([...[...l.dirs].map(([n, sub]): [string, ProcChild] => [n, dir(sub)]), ...l.files]));
  return dir(root);
}
