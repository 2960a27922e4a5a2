import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CACHE_DIR, splitCacheFile } from './startcache';
import { trainStartupCaches } from './train';

const caches = (): string[] => fs.readdirSync(CACHE_DIR).filter((f) => /^(do|gofer)-[0-9a-f]{8}\.bin$/.test(f));

describe('start-up cache training (cli/train.ts)', () => {
  it("trains the Sentry's and the Gofer's caches from nothing (a fresh build): code for every module they load", function () {
    this.timeout(120_000);
    for (const f of caches()) fs.rmSync(path.join(CACHE_DIR, f));
    const r = trainStartupCaches();
    assert.ok('trained' in r, JSON.stringify(r));
    assert.deepEqual(r.trained.map((f) => f.replace(/-[0-9a-f]{8}\.bin$/, '')).sort(), ['do', 'gofer']);
    assert.deepEqual(caches().sort(), [...r.trained].sort());
    assert.deepEqual(fs.readdirSync(CACHE_DIR).filter((f) => f.startsWith('training-')), [], 'no training directory is left behind');
    for (const f of r.trained) {
      const entries = splitCacheFile(fs.readFileSync(path.join(CACHE_DIR, f))).manifest;
      // Only the Gofer's entry point is Node's to load; everything else carries V8 code.
      const bare = entries.filter((e) => e.code[1] === 0).map((e) => path.relative(path.dirname(CACHE_DIR), e.file));
      assert.deepEqual(bare, f.startsWith('gofer-') ? ['gofer/main.js'] : [], f);
      // The modules the workload ran after start-up are in: the Sentry's file syscalls, the Gofer's server.
      const ran = f.startsWith('do-') ? 'sentry/syscalls/fs-io.js' : 'gofer/server.js';
      assert.ok(entries.some((e) => e.file.endsWith(ran)), `${f} has ${ran}`);
    }
  });
});
