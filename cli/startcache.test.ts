import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { splitCacheFile, StartCache } from './startcache';

describe('start-up cache', () => {
  let dir: string;
  let cacheFile: string;
  const file = (name: string): string => path.join(dir, name);
  /** Forgets the tree's modules, as a new process would not have them. */
  const forget = (): void => {
    for (const f of Object.keys(require.cache)) if (f.startsWith(dir + path.sep)) delete require.cache[f];
  };
  /** One "process start": a new cache over the file, loading a.js. */
  const start = (): { cache: StartCache; a: { v: number; where: () => string; b: unknown } } => {
    forget();
    const cache = new StartCache(cacheFile, dir);
    return { cache, a: cache.load(file('a.js')) as { v: number; where: () => string; b: unknown } };
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsvisor-startcache-'));
    cacheFile = path.join(dir, 'cache', 'test.bin');
    fs.writeFileSync(file('a.js'), "const b = require('./b');\nexports.b = b;\nexports.v = b.v + 1;\nexports.where = () => new Error('here').stack;\n");
    fs.writeFileSync(file('b.js'), 'exports.v = 41;\n');
  });
  afterEach(() => {
    forget();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads from the file after one run fills it and another compiles it, with real paths in stack traces', () => {
    let run = start();
    assert.equal(run.a.v, 42);
    assert.deepEqual(run.cache.counts(), { loaded: 1, warm: 0 }); // b.js was Node's: the cache did not know it
    run.cache.save();
    run = start();
    assert.deepEqual(run.cache.counts(), { loaded: 2, warm: 1 }); // b.js's code is not cached yet
    run.cache.save();
    run = start();
    assert.equal(run.a.v, 42);
    assert.deepEqual(run.cache.counts(), { loaded: 2, warm: 2 });
    assert.match(run.a.where(), new RegExp(`at .*${file('a.js').replace(/[.]/g, '\\.')}:4:`));
    const before = fs.statSync(cacheFile).mtimeMs;
    run.cache.save();
    assert.equal(fs.statSync(cacheFile).mtimeMs, before, 'an up-to-date file is not rewritten');
  });

  it('stats each cached module once per start: the stat its resolution took is the one its load checks', () => {
    for (let i = 0; i < 2; i++) start().cache.save();
    // The cache calls node:fs's statSync through the module object: a spy there sees its calls.
    const spied = fs as { statSync: typeof fs.statSync };
    const real = spied.statSync;
    const seen: string[] = [];
    spied.statSync = ((p: fs.PathLike, o?: fs.StatSyncOptions) => (seen.push(String(p)), real(p, o))) as typeof fs.statSync;
    try {
      assert.equal(start().a.v, 42);
    } finally {
      spied.statSync = real;
    }
    assert.deepEqual(seen.filter((p) => p.startsWith(dir + path.sep)).sort(), [file('a.js'), file('b.js')]);
  });

  it('reads a changed module from disk, and keeps the code of one rewritten with the same bytes', () => {
    for (let i = 0; i < 2; i++) start().cache.save();
    fs.writeFileSync(file('b.js'), 'exports.v = 99;\n');
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(file('a.js'), later, later);
    const run = start();
    assert.equal(run.a.v, 100);
    // a.js: cached bytes and code, but a new mtime to record; b.js: new bytes.
    assert.deepEqual(run.cache.counts(), { loaded: 2, warm: 0 });
    run.cache.save();
    assert.deepEqual(start().cache.counts(), { loaded: 2, warm: 2 });
  });

  it('shares a module Node loaded first instead of loading it twice', () => {
    for (let i = 0; i < 2; i++) start().cache.save();
    forget();
    const b: unknown = require(file('b.js'));
    const cache = new StartCache(cacheFile, dir);
    const a = cache.load(file('a.js')) as { b: unknown };
    assert.equal(a.b, b);
  });

  it('keeps the newest three files of a name when it writes one', () => {
    fs.mkdirSync(path.dirname(cacheFile));
    const other = (key: string, age: number): string => {
      const f = path.join(path.dirname(cacheFile), `test-${key}.bin`);
      fs.writeFileSync(f, 'x');
      const t = new Date(Date.now() - age * 1000);
      fs.utimesSync(f, t, t);
      return f;
    };
    const [old, older, oldest] = [other('0000000a', 10), other('0000000b', 20), other('0000000c', 30)];
    const unrelated = path.join(path.dirname(cacheFile), 'do-0000000d.bin');
    fs.writeFileSync(unrelated, 'x');
    cacheFile = path.join(path.dirname(cacheFile), 'test-0000000e.bin');
    start().cache.save();
    assert.deepEqual([cacheFile, old, older, oldest, unrelated].map((f) => fs.existsSync(f)), [true, true, true, false, true]);
  });

  it('reads the modules from disk when the cached data is cut short', () => {
    for (let i = 0; i < 2; i++) start().cache.save();
    const whole = fs.readFileSync(cacheFile);
    const manifest = whole.readUInt32LE(0);
    fs.writeFileSync(cacheFile, whole.subarray(0, 4 + manifest + 10));
    const run = start();
    assert.equal(run.a.v, 42);
    assert.deepEqual(run.cache.counts(), { loaded: 2, warm: 0 });
  });

  it('a training run writes, when it ends, the code compiled while it ran; later runs keep it', () => {
    /** Bytes of V8 code the cache file holds for `name`. */
    const codeBytes = (cache: string, name: string): number => {
      return splitCacheFile(fs.readFileSync(cache)).manifest.find((e) => e.file === file(name))?.code[1] ?? -1;
    };
    for (let i = 0; i < 2; i++) start().cache.save();
    const untrained = codeBytes(cacheFile, 'a.js');
    const trainDir = fs.mkdtempSync(path.join(dir, 'train-'));
    const run = start();
    run.cache.beginTraining(trainDir);
    // Only now does V8 compile where() (lazily, on its first call).
    assert.match(run.a.where(), /here/);
    run.cache.finishTraining();
    const trained = path.join(trainDir, path.basename(cacheFile));
    assert.ok(codeBytes(trained, 'a.js') > untrained, `trained ${codeBytes(trained, 'a.js')} vs ${untrained} bytes`);
    assert.ok(codeBytes(trained, 'b.js') > 0);
    fs.renameSync(trained, cacheFile);
    const later = start();
    assert.deepEqual(later.cache.counts(), { loaded: 2, warm: 2 });
    const before = fs.statSync(cacheFile).mtimeMs;
    later.cache.save();
    assert.equal(fs.statSync(cacheFile).mtimeMs, before, 'a trained, up-to-date file is not rewritten');
    // A run that meets a module the file lacks rewrites it, keeping the trained code it took.
    const trainedBytes = codeBytes(cacheFile, 'a.js');
    fs.writeFileSync(file('c.js'), 'exports.c = 1;\n');
    const wider = start();
    wider.cache.load(file('c.js'));
    wider.cache.save();
    assert.ok(codeBytes(cacheFile, 'c.js') > 0, 'rewritten with the new module');
    assert.equal(codeBytes(cacheFile, 'a.js'), trainedBytes);
    // Training never overwrites: the trainer moves each output into place itself.
    fs.writeFileSync(trained, 'x');
    assert.throws(() => start().cache.beginTraining(trainDir), /EEXIST/);
  });

  it('runs without a cache when the file is damaged or cannot be written', () => {
    fs.mkdirSync(path.dirname(cacheFile));
    fs.writeFileSync(cacheFile, 'garbage');
    let run = start();
    assert.equal(run.a.v, 42);
    fs.rmSync(path.dirname(cacheFile), { recursive: true });
    fs.writeFileSync(path.dirname(cacheFile), 'a file where the directory should be');
    run.cache.save();
    run = start();
    assert.equal(run.a.v, 42);
  });
});
