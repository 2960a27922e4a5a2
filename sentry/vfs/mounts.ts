import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { buildCgroupfs } from '../fsimpl/cgroup/cgroupfs';
import { buildDevfs } from '../fsimpl/dev/devfs';
import { mountDevpts } from '../fsimpl/devpts/devpts';
import { GoferClient } from '../fsimpl/gofer/api';
import { GoferFs } from '../fsimpl/gofer/fs';
import { OverlayFs } from '../fsimpl/overlay/overlay';
import { buildProcfs, HostInfo } from '../fsimpl/proc/procfs';
import { buildSysfs } from '../fsimpl/sys/sysfs';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs';
import type { Kernel } from '../kernel/kernel';
import { Vfs } from './vfs';

export interface RootVfsOptions {
  gofer: GoferClient;
  /** 'memory': the gofer tree is a read-only lower layer under a tmpfs; 'none': writes go to the host. */
  overlay: 'memory' | 'none';
  kernel: Kernel;
  /** Mount a tmpfs over /tmp (default true); false shows the root's own /tmp (through the overlay). */
  tmpfsAtTmp?: boolean;
  /** Host facts for /proc; read from the host now when omitted (call before the seccomp filter). */
  host?: HostInfo;
}

/** Reads the host facts procfs shows; must run before the Sentry's seccomp filter. */
export function readHostInfo(): HostInfo {
  return { cpuinfo: readFileSync('/proc/cpuinfo', 'utf8'), memTotalKb: Math.floor(totalmem() / 1024) };
}

/**
 * The sandbox's mount tree: / (gofer, overlaid), /proc, /sys and
 * /sys/fs/cgroup (read-only),
 * /dev, /dev/shm, /dev/pts and /tmp (tmpfs, so the host's /tmp is never
 * visible or written). Meant as
 * the Kernel's makeVfs: procfs reads `kernel.vfs` only when generating.
 */
export function buildRootVfs(opts: RootVfsOptions): Vfs {
  const vfs = new Vfs();
  const overlaid = opts.overlay === 'memory';
  const gofer = new GoferFs(opts.gofer, vfs.allocDev(), overlaid);
  const root = overlaid ? new OverlayFs(vfs.allocDev(), new Tmpfs(vfs.allocDev(), 0o755), gofer.root).root : gofer.root;
  vfs.mount('/', root, overlaid ? 'overlay' : 'rootfs');
  const host = opts.host ?? readHostInfo();
  vfs.mount('/proc', buildProcfs(vfs.allocDev(), opts.kernel, host), 'proc');
  vfs.mount('/sys', buildSysfs(vfs.allocDev(), opts.kernel), 'sysfs', { readOnly: true });
  vfs.mount('/sys/fs/cgroup', buildCgroupfs(vfs.allocDev(), opts.kernel), 'cgroup', { readOnly: true });
  vfs.mount('/dev', buildDevfs(vfs.allocDev()).root, 'devtmpfs');
  vfs.mount('/dev/shm', new Tmpfs(vfs.allocDev()).root, 'shm');
  if (opts.tmpfsAtTmp ?? true) vfs.mount('/tmp', new Tmpfs(vfs.allocDev()).root, 'tmpfs');
  mountDevpts(vfs, opts.kernel);
  return vfs;
}
