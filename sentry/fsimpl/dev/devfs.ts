/**
 * devfs: a tmpfs skeleton holding the character devices a container
 * expects (mem devices, tty) and the /proc/self/fd convenience links.
 */
import { randomFillSync } from 'node:crypto';
import { makedev, S_IFCHR } from '../../abi/linux/fs';
import { fail } from '../../errors/linuxerr';
import type { Task } from '../../kernel/task';
import type { FileDescription } from '../../vfs/file';
import { Tmpfs, TmpfsDir, TmpfsNode } from '../tmpfs/tmpfs';

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
  override read(): number {
    return 0;
  }
  override write(src: Buffer): number {
    return src.length;
  }
}

/** /dev/zero: reads zeros, writes vanish. */
class ZeroDev extends DevNode {
  override read(dst: Buffer): number {
    return dst.fill(0).length;
  }
  override write(src: Buffer): number {
    return src.length;
  }
}

/** /dev/full: reads zeros, writes fail ENOSPC. */
class FullDev extends ZeroDev {
  override write(): number {
    return fail('ENOSPC', '/dev/full');
  }
}

/** /dev/random and /dev/urandom: the Sentry's CSPRNG; writes are accepted and ignored. */
class RandomDev extends DevNode {
  override read(dst: Buffer): number {
    return randomFillSync(dst).length;
  }
  override write(src: Buffer): number {
    return src.length;
  }
}

/** /dev/tty: the sandbox has no controlling terminal. */
class TtyDev extends DevNode {
  override open(t: Task, flags: number, path: string): FileDescription {
    return fail('ENXIO', `${path}: no controlling terminal for ${t.tid} (${flags})`);
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
  root.symlink('stdin', '/proc/self/fd/0', ROOT);
  root.symlink('stdout', '/proc/self/fd/1', ROOT);
  root.symlink('stderr', '/proc/self/fd/2', ROOT);
  root.symlink('fd', '/proc/self/fd', ROOT);
  root.mkdir('shm', 0o1777, ROOT);
  root.mkdir('pts', 0o755, ROOT);
  return fs;
}
