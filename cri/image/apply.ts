/**
 * Applies one layer's tar entries onto a directory, with OCI layer semantics
 * (whiteouts, opaque directories, hard links within the image) and without
 * ever letting the archive write outside the directory: entry names must be
 * relative and free of `..`, parent directories are resolved one component at
 * a time with lstat, and a symlink met on the way is followed only inside the
 * root (absolute targets restart at the root; a `..` above it is an error).
 * The entry itself is never followed: whatever is there is replaced.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lsetxattr, mkfifo } from '../host/files';
import type { TarEntry } from './tar';

/** A layer entry that cannot be applied safely or at all. */
export class ApplyError extends Error {
  override name = 'ApplyError';
}

const MAX_SYMLINKS = 40;
const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
/** Extended attributes a layer may set; others (trusted.*, security.selinux, …) could confuse the host. */
const XATTR_ALLOWED = (name: string): boolean => name.startsWith('user.') || name === 'security.capability';

/** The components of an entry name; absolute names and `..` are refused. */
export function entryComponents(name: string): string[] {
  if (name.startsWith('/')) throw new ApplyError(`absolute path ${JSON.stringify(name)} in layer`);
  const comps = name.split('/').filter((c) => c !== '' && c !== '.');
  if (comps.includes('..')) throw new ApplyError(`path ${JSON.stringify(name)} in layer contains '..'`);
  return comps;
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

const key = (rel: string[]): string => rel.join('/');

/** Applies the layers' entries to one root, one layer at a time. */
export class LayerApplier {
  constructor(
    private readonly root: string,
    private readonly log: (msg: string) => void,
  ) {}

  /** Applies one layer's entries, in archive order. */
  async apply(entries: AsyncIterable<TarEntry>): Promise<void> {
    const layer = new LayerState();
    for await (const e of entries) {
      try {
        await this.entry(e, layer);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        throw new ApplyError(`layer entry ${JSON.stringify(e.path)}: ${msg}`);
      }
    }
    for (const dir of layer.opaque) this.clearLower(dir, layer);
    for (const { abs, mtime } of layer.dirTimes.reverse()) fs.utimesSync(abs, mtime, mtime);
  }

  /**
   * Resolves `comps` to a real directory below the root, following symlinks
   * only within the root. Missing directories are created when `create`,
   * else null is returned.
   */
  private resolveDir(comps: string[], create: boolean): string[] | null {
    let resolved: string[] = [];
    const queue = [...comps];
    let links = 0;
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if (resolved.length === 0) throw new ApplyError(`path ${JSON.stringify(key(comps))} escapes the image root through a symlink`);
        resolved.pop();
        continue;
      }
      const p = path.join(this.root, ...resolved, c);
      const st = lstatOrNull(p);
      if (st === null) {
        if (!create) return null;
        fs.mkdirSync(p, 0o755);
      } else if (st.isSymbolicLink()) {
        if (++links > MAX_SYMLINKS) throw new ApplyError(`too many levels of symbolic links in ${JSON.stringify(key(comps))}`);
        const target = fs.readlinkSync(p);
        if (target.startsWith('/')) resolved = [];
        queue.unshift(...target.split('/'));
        continue;
      } else if (!st.isDirectory()) {
        throw new ApplyError(`${JSON.stringify(key([...resolved, c]))} is not a directory`);
      }
      resolved.push(c);
    }
    return resolved;
  }

  private async entry(e: TarEntry, layer: LayerState): Promise<void> {
    const comps = entryComponents(e.path);
    if (comps.length === 0) {
      if (e.type !== 'dir') throw new ApplyError('the root entry is not a directory');
      this.setMeta(this.root, e, layer);
      return;
    }
    const base = comps[comps.length - 1];
    if (base.startsWith(WHITEOUT)) return this.whiteout(comps, layer);

    const parent = this.resolveDir(comps.slice(0, -1), true)!;
    const rel = [...parent, base];
    const abs = path.join(this.root, ...rel);
    layer.written(rel);
    const existing = lstatOrNull(abs);
    if (existing !== null && !(e.type === 'dir' && existing.isDirectory())) fs.rmSync(abs, { recursive: true, force: true });

    switch (e.type) {
      case 'dir':
        if (existing === null || !existing.isDirectory()) fs.mkdirSync(abs, 0o700);
        this.setMeta(abs, e, layer);
        break;
      case 'file':
        await this.writeFile(abs, e);
        break;
      case 'symlink':
        fs.symlinkSync(e.linkpath, abs);
        fs.lchownSync(abs, e.uid, e.gid);
        fs.lutimesSync(abs, e.mtime, e.mtime);
        break;
      case 'hardlink':
        fs.linkSync(this.linkTarget(e.linkpath), abs);
        break;
      case 'fifo':
        mkfifo(abs, e.mode);
        this.setMeta(abs, e, layer);
        break;
      case 'char':
      case 'block':
        // Device nodes would give the container host devices: never created.
        this.log(`image layer: skipped ${e.type} device ${e.path} (${e.devmajor}:${e.devminor})`);
        return;
    }
    this.setXattrs(abs, e);
  }

  private whiteout(comps: string[], layer: LayerState): void {
    const base = comps[comps.length - 1];
    if (base === OPAQUE) {
      const dir = this.resolveDir(comps.slice(0, -1), true)!;
      layer.written(dir);
      layer.opaque.push(dir);
      return;
    }
    if (base.startsWith(OPAQUE.slice(0, 8))) return; // other .wh..wh.* are aufs bookkeeping
    const name = base.slice(WHITEOUT.length);
    if (name === '' || name === '.' || name === '..') throw new ApplyError(`invalid whiteout ${JSON.stringify(base)}`);
    const parent = this.resolveDir(comps.slice(0, -1), false);
    if (parent === null) return;
    const rel = [...parent, name];
    // A whiteout hides lower layers only, never what this layer wrote.
    if (layer.has(rel)) return;
    fs.rmSync(path.join(this.root, ...rel), { recursive: true, force: true });
  }

  /** Removes what lower layers put below `dir`, keeping this layer's paths. */
  private clearLower(dir: string[], layer: LayerState): void {
    const abs = path.join(this.root, ...dir);
    for (const name of fs.readdirSync(abs)) {
      const rel = [...dir, name];
      const child = path.join(abs, name);
      if (!layer.has(rel)) fs.rmSync(child, { recursive: true, force: true });
      else if (fs.lstatSync(child).isDirectory()) this.clearLower(rel, layer);
    }
  }

  /** The hard link's target: an existing non-directory inside the root. */
  private linkTarget(linkpath: string): string {
    const comps = entryComponents(linkpath);
    if (comps.length === 0) throw new ApplyError('hard link to the root directory');
    const parent = this.resolveDir(comps.slice(0, -1), false);
    const target = parent === null ? null : path.join(this.root, ...parent, comps[comps.length - 1]);
    const st = target === null ? null : lstatOrNull(target);
    if (target === null || st === null) throw new ApplyError(`hard link target ${JSON.stringify(linkpath)} does not exist`);
    if (st.isDirectory()) throw new ApplyError(`hard link target ${JSON.stringify(linkpath)} is a directory`);
    return target;
  }

  private async writeFile(abs: string, e: TarEntry): Promise<void> {
    const fd = fs.openSync(abs, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
      for await (const chunk of e.body()) {
        for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off);
      }
      // chown before chmod: chown clears set-id bits.
      fs.fchownSync(fd, e.uid, e.gid);
      fs.fchmodSync(fd, e.mode);
      fs.futimesSync(fd, e.mtime, e.mtime);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Owner and mode now; directory times at the end of the layer, after their children are written. */
  private setMeta(abs: string, e: TarEntry, layer: LayerState): void {
    fs.lchownSync(abs, e.uid, e.gid);
    fs.chmodSync(abs, e.mode);
    if (e.type === 'dir') layer.dirTimes.push({ abs, mtime: e.mtime });
    else fs.utimesSync(abs, e.mtime, e.mtime);
  }

  private setXattrs(abs: string, e: TarEntry): void {
    for (const [name, value] of e.xattrs) {
      if (!XATTR_ALLOWED(name)) {
        this.log(`image layer: skipped xattr ${name} on ${e.path}`);
        continue;
      }
      try {
        lsetxattr(abs, name, value);
      } catch (err) {
        this.log(`image layer: cannot set xattr ${name} on ${e.path}: ${(err as Error).message}`);
      }
    }
  }
}

/** What one layer wrote, for whiteout and opaque semantics. */
class LayerState {
  private readonly paths = new Set<string>();
  readonly opaque: string[][] = [];
  readonly dirTimes: { abs: string; mtime: number }[] = [];

  /** Records `rel` and its ancestors as this layer's. */
  written(rel: string[]): void {
    for (let i = 1; i <= rel.length; i++) this.paths.add(key(rel.slice(0, i)));
  }

  has(rel: string[]): boolean {
    return this.paths.has(key(rel));
  }
}
