import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trainStartupCaches } from './train';

/** A cache file's manifest: each module's file and the [offset, length] of its source and code. */
function manifest(file: string): { file: string; src: [number, number]; code: [number, number] }[] {
  const blob = fs.readFileSync(file);
  return JSON.parse(blob.toString('utf8', 4, 4 + blob.readUInt32LE(0))) as { file: string; src: [number, number]; code: [number, number] }[];
}

describe('start-up cache training (cli/train.ts)', () => {
  it("writes the Sentry's and the Gofer's caches from one sandbox run, with code for the modules they ran", function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsvisor-train-'));
    try {
      const r = trainStartupCaches(dir);
      assert.ok('trained' in r, JSON.stringify(r));
      assert.deepEqual(r.trained.map((f) => f.replace(/-[0-9a-f]{8}\.bin$/, '')).sort(), ['do', 'gofer']);
      assert.deepEqual(fs.readdirSync(dir).sort(), [...r.trained].sort(), 'nothing else is left behind');
      for (const f of r.trained) {
        const entries = manifest(path.join(dir, f));
        // The Sentry's syscall handlers and the Gofer's server ran during the workload: their modules are in, with code.
        const wanted = f.startsWith('do-') ? 'sentry/syscalls/fs-io.js' : 'gofer/server.js';
        const e = entries.find((x) => x.file.endsWith(wanted));
        assert.ok(e && e.code[1] > 0, `${f}: ${wanted} with code`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
