/**
 * devfs: a tmpfs skeleton holding the character devices a container
 * expects (mem devices, tty, ptmx) and the /proc/self/fd convenience links.
 * /dev/pts is where the kernel's devpts is mounted.
 */
import { makedev, S_IFCHR } from '../../abi/linux/fs';
import { fail } from '../../errors/linuxerr';
import type { Task } from '../../kernel/task';
import { randomFill } from '../../platform/host/random';
import type { FileDescription } from '../../vfs/file';
import { Tmpfs, TmpfsDir, TmpfsNode } from '../tmpfs/tmpfs';
import { Devpts, devptsOf } from '../devpts/devpts';

const ROOT = { uid: 0, gid: 0 };

/** A character device node; behaviour comes from the subclass. */
abstract class DevNode extends TmpfsNode {
  constructor(
    fs: Tmpfs,
    private readonly devno: number,
  ) {
    super(fs, S_IFCHR | 0o666, ROOT);
  }

  get size(): number {
    return 0;
  }

  override get rdev(): number {
    return this.devno;
  }
}

/** /dev/null: reads EOF, writes vanish. */
class NullDev extends DevNode {
  override readonly discardsWrites = true;
  override read(): number {
    return 0;
  }
  override write(src: Buffer): number {
    return src.length;
  }
}

/** /dev/zero: reads zeros (the whole count, as Linux: `dd bs=20M` fills its buffer), writes vanish. */
class ZeroDev extends DevNode {
  override readonly fillsReads = true;
  override readonly discardsWrites: boolean = true;
  override read(dst: Buffer): number {
    return dst.fill(0).length;
  }
  override write(src: Buffer): number {
    return src.length;
  }
}

/** /dev/full: reads zeros, writes fail ENOSPC (whatever the buffer: write_full never reads it). */
class FullDev extends ZeroDev {
  override write(): number {
    return fail('ENOSPC', '/dev/full');
  }
}

/** /dev/random and /dev/urandom: the Sentry's CSPRNG; writes are accepted and ignored. */
class RandomDev extends DevNode {
  override read(dst: Buffer): number {
    return randomFill(dst).length;
  }
  override write(src: Buffer): number {
    return src.length;
  }
}

/** /dev/tty: the caller's controlling terminal (a sandbox pty), else ENXIO. */
class TtyDev extends DevNode {
  override open(t: Task, flags: number, path: string): FileDescription {
    const devpts = devptsOf(t.kernel);
    const pty = devpts?.controlling(t.process.sid) ?? fail('ENXIO', `${path}: no controlling terminal for ${t.tid}`);
    return (devpts as Devpts).openSlave(pty, flags);
  }
}

/** /dev/ptmx: a new pty pair from the kernel's devpts (Linux finds it through /dev/pts too). */
class PtmxDev extends DevNode {
  override open(t: Task, flags: number, path: string): FileDescription {
    return (devptsOf(t.kernel) ?? fail('ENODEV', `${path}: no devpts mounted`)).openMaster(t, flags, path);
  }
}

/** Builds the /dev tree. /dev/shm is a directory for a tmpfs mounted over it. */
export function buildDevfs(dev: number): Tmpfs {
  const fs = new Tmpfs(dev, 0o755);
  const root: TmpfsDir = fs.root;
  root.insert('null', new NullDev(fs, makedev(1, 3)));
  root.insert('zero', new ZeroDev(fs, makedev(1, 5)));
  root.insert('full', new FullDev(fs, makedev(1, 7)));
  root.insert('random', new RandomDev(fs, makedev(1, 8)));
  root.insert('urandom', new RandomDev(fs, makedev(1, 9)));
  root.insert('tty', new TtyDev(fs, makedev(5, 0)));
  root.insert('ptmx', new PtmxDev(fs, makedev(5, 2)));
  root.symlink('stdin', '/proc/self/fd/0', ROOT);
  root.symlink('stdout', '/proc/self/fd/1', ROOT);
  root.symlink('stderr', '/proc/self/fd/2', ROOT);
  root.symlink('fd', '/proc/self/fd', ROOT);
  root.mkdir('shm', 0o1777, ROOT);
  root.mkdir('pts', 0o755, ROOT);
  return fs;
}
