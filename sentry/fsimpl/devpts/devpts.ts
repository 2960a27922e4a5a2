/**
 * devpts: /dev/pts with `ptmx` and one node per live pty. Opening ptmx
 * (or /dev/ptmx in devfs) makes a new pair with the lowest free index; its
 * /dev/pts/N stays until the master is closed. One instance per kernel, so
 * every container of a pod and the console bridge share the numbering.
 */
import { CAP } from '../../abi/linux/capability';
import { FS_MAGIC, makedev, O, S_IFCHR } from '../../abi/linux/fs';
import { TTYAUX_MAJOR, UNIX98_PTY_SLAVE_MAJOR } from '../../abi/linux/tty';
import { fail } from '../../errors/linuxerr';
import type { Kernel } from '../../kernel/kernel';
import type { Process, Task } from '../../kernel/task';
import type { FileDescription, Stat } from '../../vfs/file';
import type { StatFs } from '../../vfs/inode';
import type { Vfs } from '../../vfs/vfs';
import { Tmpfs, TmpfsNode } from '../tmpfs/tmpfs';
import { MasterFile, PtyNodes, SlaveFile } from './files';
import { Pty } from './pty';

const ROOT = { uid: 0, gid: 0 };
/** Flags an open of the slave keeps (TIOCGPTPEER's argument included). */
const SLAVE_FLAGS = O.ACCMODE | O.NONBLOCK | O.CLOEXEC | O.LARGEFILE;

class DevptsFs extends Tmpfs {
  override readonly type = 'devpts';

  override statfs(): StatFs {
    return { ...super.statfs(), type: FS_MAGIC.DEVPTS, bsize: 1024 };
  }
}

/** /dev/pts/ptmx (mode 0666, like a container's devpts mounted with ptmxmode=666). */
class PtmxNode extends TmpfsNode {
  constructor(
    fs: Tmpfs,
    private readonly devpts: Devpts,
  ) {
    super(fs, S_IFCHR | 0o666, ROOT);
  }

  get size(): number {
    return 0;
  }

  override get rdev(): number {
    return makedev(TTYAUX_MAJOR, 2);
  }

  override open(t: Task, flags: number, path: string): FileDescription {
    return this.devpts.openMaster(t, flags, path);
  }
}

/** /dev/pts/N: owned by the creator, mode 0600 (devpts defaults). */
class SlaveNode extends TmpfsNode {
  constructor(
    fs: Tmpfs,
    private readonly devpts: Devpts,
    readonly pty: Pty,
    owner: { uid: number; gid: number },
  ) {
    super(fs, S_IFCHR | 0o600, owner);
  }

  get size(): number {
    return 0;
  }

  override get rdev(): number {
    return makedev(UNIX98_PTY_SLAVE_MAJOR, this.pty.index);
  }

  override get seekable(): boolean {
    return false;
  }

  override open(t: Task, flags: number): FileDescription {
    return this.devpts.openSlave(this.pty, flags, t.process.creds.hasCap(CAP.SYS_ADMIN));
  }
}

const instances = new WeakMap<Kernel, Devpts>();

/** /proc/[pid]/stat's tty_nr and tpgid: the session's terminal device and its foreground group (0 and -1 without one). */
export function controllingTty(p: Process): { rdev: number; foreground: number } {
  const pty = instances.get(p.kernel)?.controlling(p.sid);
  return pty ? { rdev: makedev(UNIX98_PTY_SLAVE_MAJOR, pty.index), foreground: pty.foreground ?? -1 } : { rdev: 0, foreground: -1 };
}

/** The kernel's devpts, if one was mounted. */
export function devptsOf(kernel: Kernel): Devpts | undefined {
  return instances.get(kernel);
}

/** Mounts the kernel's devpts (created on first use) at /dev/pts of `vfs`. */
export function mountDevpts(vfs: Vfs, kernel: Kernel): Devpts {
  let d = instances.get(kernel);
  if (!d) instances.set(kernel, (d = new Devpts(kernel, vfs.allocDev())));
  vfs.mount('/dev/pts', d.fs.root, 'devpts');
  return d;
}

export class Devpts implements PtyNodes {
  readonly fs: Tmpfs;
  private readonly ptmx: PtmxNode;
  private readonly nodes = new Map<number, SlaveNode>();
  /** Nodes by pty, kept after removal so open slaves still stat. */
  private readonly nodeOf = new WeakMap<Pty, SlaveNode>();

  constructor(
    readonly kernel: Kernel,
    dev: number,
  ) {
    this.fs = new DevptsFs(dev, 0o755);
    this.ptmx = new PtmxNode(this.fs, this);
    this.fs.root.insert('ptmx', this.ptmx);
  }

  /** A new pair (locked, like Linux's ptmx_open); returns its master. */
  openMaster(t: Task, flags: number, path: string): MasterFile {
    return new MasterFile(this.create(t.process.creds.euid, t.process.creds.egid), this, path, flags);
  }

  /** A new pair owned by `uid`/`gid`. */
  create(uid: number, gid: number): Pty {
    let index = 0;
    while (this.nodes.has(index)) index++;
    const pty = new Pty(this.kernel, index);
    const node = new SlaveNode(this.fs, this, pty, { uid, gid });
    this.nodes.set(index, node);
    this.nodeOf.set(pty, node);
    this.fs.root.insert(String(index), node);
    return pty;
  }

  /** `privileged`: the opener has CAP_SYS_ADMIN, which may open an exclusive (TIOCEXCL) terminal. */
  openSlave(pty: Pty, flags: number, privileged = true): SlaveFile {
    if (pty.masterClosed || pty.locked) fail('EIO', `/dev/pts/${pty.index} is ${pty.locked ? 'locked' : 'hung up'}`);
    if (pty.exclusive && !privileged) fail('EBUSY', `/dev/pts/${pty.index} is exclusive`);
    return new SlaveFile(pty, this, flags & SLAVE_FLAGS);
  }

  slaveStat(pty: Pty): Stat {
    return (this.nodeOf.get(pty) ?? fail('EIO', `pty ${pty.index} has no node`)).stat();
  }

  masterStat(): Stat {
    return this.ptmx.stat();
  }

  controlling(sid: number): Pty | undefined {
    for (const n of this.nodes.values()) if (n.pty.controls(sid)) return n.pty;
    return undefined;
  }

  remove(pty: Pty): void {
    if (this.nodes.get(pty.index)?.pty !== pty) return;
    this.nodes.delete(pty.index);
    this.fs.root.unlink(String(pty.index));
  }
}
