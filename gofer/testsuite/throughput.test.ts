/** Sequential read throughput through P9Client: a 50 MB file in 1 MiB reads. */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { O } from '../../sentry/abi/linux/fs';
import { closeAndCheck, makeTree, open, pattern, removeTree, Tree } from './harness';

const SIZE = 50 * 1000 * 1000;
const CHUNK = 1 << 20;

describe('gofer: read throughput', () => {
  let t: Tree;
  before(() => {
    t = makeTree();
    const one = pattern(CHUNK, 9);
    const fd = fs.openSync(path.join(t.root, 'fifty.bin'), 'w');
    for (let off = 0; off < SIZE; off += CHUNK) fs.writeSync(fd, one, 0, Math.min(CHUNK, SIZE - off));
    fs.closeSync(fd);
  });
  after(() => removeTree(t));

  it('reads 50 MB in 1 MiB reads, byte-identical, and reports MB/s', async () => {
    const s = open(t.root, true);
    try {
      const fid = s.client.walk(s.rootFid, ['fifty.bin']).fid;
      s.client.lopen(fid, O.RDONLY);
      const readAll = (): { parts: Buffer[]; secs: number } => {
        const parts: Buffer[] = [];
        const t0 = process.hrtime.bigint();
        for (let total = 0; ; ) {
          const data = s.client.read(fid, total, CHUNK);
          if (data.length === 0) break;
          parts.push(data);
          total += data.length;
        }
        return { parts, secs: Number(process.hrtime.bigint() - t0) / 1e9 };
      };
      const cold = readAll();
      const { parts, secs } = readAll();
      assert.equal(Buffer.concat(parts).length, SIZE);
      const digest = (b: Buffer[]): string => b.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex');
      assert.equal(digest(parts), digest([fs.readFileSync(path.join(t.root, 'fifty.bin'))]));
      const rate = (sec: number): string => `${(sec * 1000).toFixed(0)} ms, ${(SIZE / 1e6 / sec).toFixed(0)} MB/s`;
      console.log(`      50 MB via P9Client in 1 MiB reads: first pass ${rate(cold.secs)}; second pass ${rate(secs)}`);
      const mbs = SIZE / 1e6 / secs;
      // A floor far below the expected rate: catches per-byte or quadratic regressions, not noise.
      assert.ok(mbs > 20, `${mbs} MB/s`);
    } finally {
      await closeAndCheck(s);
    }
  });
});
