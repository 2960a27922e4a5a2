/**
 * The Sentry's start-up cache: its ~200 CommonJS modules, their sources
 * and V8's compiled code for them, in one file (dist/.cache/NAME-KEY.bin).
 * Node 20 has no compile cache of its own (module.enableCompileCache is
 * Node 22), so every `tsvisor do` resolved (stat, realpath, package.json
 * lookups), read and compiled each module again: about half of the
 * Sentry's module loading. Loading through this cache costs one read, a
 * stat per module to check it is unchanged, and V8's deserialisation.
 *
 * Each module keeps its own vm.Script named by its real path, so stack
 * traces and line numbers are those of the dist file. A module whose
 * mtime or size changed since it was cached (a rebuild) is read from disk
 * and compiled afresh; one the cache does not know is left to Node's own
 * require. Modules register in Node's module cache, so a module is never
 * loaded twice whichever loader meets it first.
 *
 * saveStartupCache() rewrites the file (atomically, by rename) when this
 * run met a module the file lacked, a changed one, or code V8 rejected
 * (another Node or other V8 flags: the key includes both). It runs once the
 * Sentry's modules are loaded and before its seccomp filter, which forbids
 * opening files. An unwritable directory just means no cache.
 *
 * Training (cli/train.ts, run by `npm run build`): a cache saved at start-up
 * holds V8's code for what ran while the modules loaded, not for the
 * functions a sandbox then calls (syscall handlers, the VFS, the 9P paths),
 * which every run compiled afresh on their first call. A run with
 * TSVISOR_TRAIN_CACHE_DIR set instead writes its cache into that directory
 * when it ends, with the code compiled by then, through a file it opened
 * at start-up (the Sentry opens nothing once its seccomp filter is on); the
 * trainer moves it into place. Later runs keep it: a rewrite (a run that
 * loaded a module the file lacked) copies the code V8 took from the file
 * as it was, since a Script would hand back only what this process ran.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync, type Stats } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';

/** The parts of Node's CommonJS loader this uses (stable since Node 0.x, but untyped). */
interface Loader {
  new (id: string, parent?: NodeModule | null): NodeModule;
  _cache: Record<string, NodeModule | undefined>;
  _nodeModulePaths(dir: string): string[];
  createRequire(filename: string): NodeJS.Require;
}

/** One cached module; offsets are into the data after the manifest. */
export interface Entry {
  file: string;
  mtimeMs: number;
  size: number;
  src: [number, number];
  code: [number, number];
}

/** A module's bytes and the stat they were read with. */
interface Source {
  src: Buffer;
  mtimeMs: number;
  size: number;
}

/** What this run loaded itself: the source, its stat when read, and the Script to take code from. */
interface Loaded {
  src: string;
  mtimeMs: number;
  size: number;
  script: Script;
  /** V8 took cached code for it. */
  warm: boolean;
  /** The cached code V8 took for it (warm modules). */
  code?: Buffer;
}

const loader = Module as unknown as Loader;
const DIST = path.resolve(__dirname, '..');
export const CACHE_DIR = path.join(DIST, '.cache');
/** Where a training run writes its cache (see the header); set by cli/train.ts. */
export const TRAIN_DIR_ENV = 'TSVISOR_TRAIN_CACHE_DIR';
/** Cache files kept per name (one per Node version and V8 flag set in use). */
const KEEP_PER_NAME = 3;
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n})';

/** FNV-1a: a short key for the Node version and V8 flags (no crypto at start-up). */
function key(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

export class StartCache {
  private readonly entries = new Map<string, Entry>();
  private data: Buffer | undefined;
  private readonly loaded = new Map<string, Loaded>();
  /** Each cached module's stat, taken once: by the resolution that finds it, then used by its load (~9 us a stat). */
  private readonly stats = new Map<string, Stats | undefined>();
  private readonly resolved = new Map<string, string | undefined>();
  private readonly searchPaths = new Map<string, string[]>();
  /** Sources of our modules Node's own require loaded, read before a training run's end (which may not open files). */
  private readonly outside = new Map<string, Source>();
  private trainingFd: number | undefined;

  /** `file` caches modules under `dist` (our dist directory; a test's own tree). */
  constructor(
    private readonly file: string,
    private readonly dist = DIST,
  ) {
    try {
      const blob = readFileSync(file);
      const { manifest, data } = splitCacheFile(blob);
      for (const e of manifest) this.entries.set(e.file, e);
      this.data = data;
    } catch {
      // No cache yet, or a damaged one: start from nothing.
      this.entries.clear();
    }
  }

  /** The exports of dist module `file`, loading it (and what it requires) through the cache. */
  load(file: string): unknown {
    const known = loader._cache[file];
    if (known) return known.exports;
    // The stat its resolution took, if any; a missing file throws Node's ENOENT here.
    const st = this.statOf(file) ?? statSync(file);
    const found = this.entries.get(file);
    const e = found !== undefined && this.data !== undefined && found.size === st.size ? found : undefined;
    // A source slice of another length than the file (a damaged cache) is not used.
    const slice = e && this.slice(e.src);
    const cached = slice !== undefined && slice.length === st.size ? slice : undefined;
    // tsc rewrites every file it builds: a new mtime with the same bytes keeps its code.
    const same = e?.mtimeMs === st.mtimeMs;
    const disk = cached !== undefined && same ? undefined : readFileSync(file);
    const fresh = cached !== undefined && (disk === undefined || disk.equals(cached));
    const src = (fresh ? (cached as Buffer) : (disk as Buffer)).toString('utf8');
    const cachedData = fresh && e && e.code[1] > 0 ? this.slice(e.code) : undefined;
    const script = new Script(WRAP_HEAD + src + WRAP_TAIL, { filename: file, cachedData });
    const warm = cachedData !== undefined && !script.cachedDataRejected && same;
    this.loaded.set(file, { src, mtimeMs: st.mtimeMs, size: st.size, script, warm, code: warm ? cachedData : undefined });
    const m = new loader(file, null);
    m.filename = file;
    const dir = dirOf(file);
    m.paths = this.nodeModulePaths(dir);
    loader._cache[file] = m;
    try {
      (script.runInThisContext() as (...a: unknown[]) => void).call(m.exports, m.exports, this.requireFor(m), m, file, dir);
    } catch (err) {
      delete loader._cache[file];
      throw err;
    }
    m.loaded = true;
    return m.exports;
  }

  /** Node's node_modules search list for modules in `dir` (one array per directory: nothing changes it). */
  private nodeModulePaths(dir: string): string[] {
    let p = this.searchPaths.get(dir);
    if (p === undefined) this.searchPaths.set(dir, (p = loader._nodeModulePaths(dir)));
    return p;
  }

  /** The cached module relative request `id` from `dir` names, if any (memoised: many modules of a directory require the same ones). */
  private resolve(dir: string, id: string): string | undefined {
    const key = `${dir}\0${id}`;
    if (this.resolved.has(key)) return this.resolved.get(key);
    const base = resolveRelative(dir, id);
    const f = [base, `${base}.js`, `${base}/index.js`].find((c) => this.entries.has(c) && this.present(c));
    this.resolved.set(key, f);
    return f;
  }

  /** Whether cached module `file` still exists (once per file: most are required from many places). A removed one is Node's to report. */
  private present(file: string): boolean {
    return this.statOf(file)?.isFile() ?? false;
  }

  /** `file`'s stat, undefined when it does not exist. */
  private statOf(file: string): Stats | undefined {
    if (!this.stats.has(file)) this.stats.set(file, statSync(file, { throwIfNoEntry: false }));
    return this.stats.get(file);
  }

  private slice([off, len]: [number, number]): Buffer {
    return (this.data as Buffer).subarray(off, off + len);
  }

  /** `require` for a cached module: its relative requests stay in the cache, anything else goes to Node. */
  private requireFor(m: NodeModule): NodeJS.Require {
    const dir = dirOf(m.filename);
    const req = (id: string): unknown => {
      if (id.startsWith('./') || id.startsWith('../')) {
        const f = this.resolve(dir, id);
        if (f !== undefined) return this.load(f);
      }
      return m.require(id);
    };
    let full: NodeJS.Require | undefined;
    const node = (): NodeJS.Require => (full ??= loader.createRequire(m.filename));
    return Object.defineProperties(req, {
      resolve: { get: () => node().resolve },
      cache: { get: () => loader._cache },
      main: { get: () => require.main },
      extensions: { get: () => node().extensions },
    }) as unknown as NodeJS.Require;
  }

  /** Whether the file on disk is short of what this run loaded: a module it lacks, or one whose code V8 did not take. */
  private stale(): boolean {
    for (const f of this.distModules()) {
      const l = this.loaded.get(f);
      if (l ? !l.warm : !this.entries.has(f)) return true;
    }
    return false;
  }

  /** Every module of ours loaded so far, by whichever loader, except this loader itself. */
  private distModules(): string[] {
    return Object.keys(loader._cache).filter((f) => f.startsWith(this.dist + path.sep) && f.endsWith('.js') && f !== __filename);
  }

  /** Modules this cache loaded itself, and how many of them ran V8's cached code. */
  counts(): { loaded: number; warm: number } {
    return { loaded: this.loaded.size, warm: [...this.loaded.values()].filter((l) => l.warm).length };
  }

  save(): void {
    if (this.stale()) {
      try {
        this.write();
      } catch {
        // A read-only install or a full disk: run without a cache.
      }
    }
    // The blob and the Scripts are start-up garbage from now on.
    this.data = undefined;
    this.loaded.clear();
  }

  /**
   * Starts a training run: opens `dir`'s file of this cache's name (which
   * must not exist yet) and keeps what finishTraining will write to it.
   */
  beginTraining(dir: string): void {
    for (const f of this.distModules()) if (!this.loaded.has(f)) this.outside.set(f, readSource(f));
    this.trainingFd = openSync(path.join(dir, path.basename(this.file)), 'wx');
  }

  /** Ends a training run: writes the cache, with the code compiled so far, to the file beginTraining opened. */
  finishTraining(): void {
    const fd = this.trainingFd;
    if (fd === undefined) return;
    this.trainingFd = undefined;
    try {
      const blob = this.contents(true);
      for (let at = 0; at < blob.length; ) at += writeSync(fd, blob, at);
    } finally {
      closeSync(fd);
    }
  }

  /** Files of the same name under other keys (other Nodes or V8 flags): the newest few stay. */
  private pruneSiblings(): void {
    const dir = path.dirname(this.file);
    const prefix = path.basename(this.file).replace(/-[0-9a-f]+\.bin$/, '-');
    const siblings = readdirSync(dir)
      .filter((f) => f.startsWith(prefix) && f.endsWith('.bin'))
      .map((f) => ({ f: path.join(dir, f), t: statSync(path.join(dir, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { f } of siblings.slice(KEEP_PER_NAME)) unlinkSync(f);
  }

  /**
   * The cache file for every module of ours loaded so far: sources, and
   * V8's code for those this cache loaded (`fresh`: as compiled now, even
   * where V8 took cached code).
   */
  private contents(fresh = false): Buffer {
    const manifest: Entry[] = [];
    const parts: Buffer[] = [];
    let off = 0;
    const add = (b: Buffer): [number, number] => {
      parts.push(b);
      off += b.length;
      return [off - b.length, b.length];
    };
    for (const file of this.distModules()) {
      const l = this.loaded.get(file);
      if (l) {
        // Code V8 took keeps its bytes unless `fresh`: the Script would hand back less of a trained cache's
        // code, as V8 drops the bytecode of functions this process has not run by the time it saves.
        const code = !fresh && l.code !== undefined ? l.code : l.script.createCachedData();
        manifest.push({ file, mtimeMs: l.mtimeMs, size: l.size, src: add(Buffer.from(l.src, 'utf8')), code: add(code) });
        continue;
      }
      // Loaded by Node's require: keep its source now; its code is cached next time.
      const { src, mtimeMs, size } = this.outside.get(file) ?? readSource(file);
      manifest.push({ file, mtimeMs, size, src: add(src), code: add(Buffer.alloc(0)) });
    }
    const head = Buffer.from(JSON.stringify(manifest), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(head.length, 0);
    return Buffer.concat([len, head, ...parts]);
  }

  private write(): void {
    const blob = this.contents();
    mkdirSync(path.dirname(this.file), { recursive: true });
    // Not just the pid: every `do` Sentry is pid 1 of its own PID namespace, and its Gofer pid 2.
    const tmp = `${this.file}.${process.pid}-${process.hrtime.bigint()}-${Math.random().toString(36).slice(2)}.tmp`;
    try {
      writeFileSync(tmp, blob, { flag: 'wx' });
      renameSync(tmp, this.file);
      this.pruneSiblings();
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        /* never written */
      }
      throw e;
    }
  }
}

/*
 * Path arithmetic for module loading without node:path: its normalising
 * loop runs over every character, and the ~210 loads of a start made V8
 * optimise it (and path.dirname) then, on the main thread, ~10 ms of
 * each `do /bin/true`. Module paths here are absolute and normalised.
 */

/** The directory of absolute path `file`. */
function dirOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i <= 0 ? '/' : file.slice(0, i);
}

/** Relative request `id` ('./a', '../b/c') from absolute directory `dir`. */
function resolveRelative(dir: string, id: string): string {
  const parts = dir === '/' ? [] : dir.slice(1).split('/');
  for (const seg of id.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

/** A cache file's parts: its manifest (a u32 length, then JSON) and the data the entries' offsets point into. */
export function splitCacheFile(blob: Buffer): { manifest: Entry[]; data: Buffer } {
  const n = blob.readUInt32LE(0);
  return { manifest: JSON.parse(blob.toString('utf8', 4, 4 + n)) as Entry[], data: blob.subarray(4 + n) };
}

/** A module file's bytes with the stat taken first (a rebuild in between shows as a changed module next time). */
function readSource(file: string): Source {
  const st = statSync(file);
  return { src: readFileSync(file), mtimeMs: st.mtimeMs, size: st.size };
}

let active: StartCache | undefined;
let training: StartCache | undefined;

/**
 * Loads dist module `file` through the start-up cache `name` (one per kind
 * of process: its set of modules and its V8 flags).
 */
export function requireCached(name: string, file: string): unknown {
  // V8 refuses code cached under other flags; profiler flags change no code.
  const flags = process.execArgv.filter((a) => !/^--(cpu|heap)-prof/.test(a));
  const id = key(`${process.version} ${flags.join(' ')}`);
  active = new StartCache(path.join(CACHE_DIR, `${name}-${id}.bin`));
  return active.load(path.resolve(file));
}

/**
 * Brings the cache file up to date with what this process loaded; call
 * before the seccomp filter. Later calls do nothing. In a training run
 * (TSVISOR_TRAIN_CACHE_DIR set) it opens the training output instead.
 */
export function saveStartupCache(): void {
  const dir = process.env[TRAIN_DIR_ENV];
  if (dir) {
    active?.beginTraining(dir);
    training = active;
  } else {
    active?.save();
  }
  active = undefined;
}

/** At the end of a training run, writes its cache and returns true; does nothing in other runs. */
export function finishCacheTraining(): boolean {
  const t = training;
  training = undefined;
  t?.finishTraining();
  return t !== undefined;
}
