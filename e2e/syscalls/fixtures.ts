/**
 * Deterministic inputs for the end-to-end tests: files whose content, mode
 * and timestamps are fixed, so that outputs such as `ls -la` and `stat` are the
 * same natively and in the sandbox without loosening any comparison.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { freshDir } from './harness';

/** mtime of every fixture: 2020-01-02 03:04:05 UTC. */
export const FIXED_MTIME = new Date(Date.UTC(2020, 0, 2, 3, 4, 5));
/**
 * atime in the future (2030): with relatime the kernel then never updates it
 * on read, so reading a fixture does not change what `stat` shows next.
 */
export const FIXED_ATIME = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));

/** Bytes from a fixed linear congruential sequence (reproducible "random" data). */
export function pseudoRandom(size: number, seed = 1): Buffer {
  const buf = Buffer.alloc(size);
  let x = seed >>> 0;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    buf.writeUInt32LE(x, i);
  }
  for (; i < size; i++) buf[i] = i & 0xff;
  return buf;
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function pin(p: string, mode: number): void {
  fs.chmodSync(p, mode);
  fs.utimesSync(p, FIXED_ATIME, FIXED_MTIME);
}

export const WORDS = 'pear\napple\nfig\nbanana\napple\ncherry\ndate\n';
export const TABLE = 'id,name,qty\n3,fig,12\n1,pear,7\n2,apple,30\n';

export interface FixtureTree {
  /** The folder to list: words.txt, table.csv, blob.bin, empty, sub/ (a file inside). */
  dir: string;
  words: string;
  table: string;
  blob: string;
  blobData: Buffer;
}

/**
 * Builds a small folder with fixed names, contents, modes and times. Its parent
 * is pinned too, since `ls -la` shows `..`.
 */
export function fixtureTree(): FixtureTree {
  const parent = freshDir('tree');
  const dir = path.join(parent, 'fixture');
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
  const blobData = pseudoRandom(3000, 7);
  const files: Array<[string, string | Buffer, number]> = [
    ['words.txt', WORDS, 0o644],
    ['table.csv', TABLE, 0o640],
    ['blob.bin', blobData, 0o600],
    ['empty', '', 0o444],
    ['sub/inner.txt', 'inner\n', 0o755],
  ];
  for (const [name, data, mode] of files) {
    fs.writeFileSync(path.join(dir, name), data);
    pin(path.join(dir, name), mode);
  }
  pin(path.join(dir, 'sub'), 0o755);
  pin(dir, 0o755);
  pin(parent, 0o755);
  return {
    dir,
    words: path.join(dir, 'words.txt'),
    table: path.join(dir, 'table.csv'),
    blob: path.join(dir, 'blob.bin'),
    blobData,
  };
}

/** A file of `mb` MiB of pseudo-random data, with its sha256. */
export function bigFile(mb: number, dir = freshDir('big')): { file: string; sha256: string } {
  const file = path.join(dir, `data-${mb}M.bin`);
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < mb; i++) {
    const chunk = pseudoRandom(1 << 20, i + 1);
    hash.update(chunk);
    fs.writeSync(fd, chunk);
  }
  fs.closeSync(fd);
  pin(file, 0o644);
  return { file, sha256: hash.digest('hex') };
}

/**
 * A minimal root filesystem: busybox-static as /bin/busybox with /bin/sh
 * pointing at it, an empty /tmp, plus any extra host files copied to `dest`.
 */
export function tinyRootfs(extra: Array<{ host: string; dest: string }> = []): string {
  const root = freshDir('rootfs');
  for (const d of ['bin', 'tmp', 'data']) fs.mkdirSync(path.join(root, d));
  fs.copyFileSync('/bin/busybox', path.join(root, 'bin', 'busybox'));
  fs.chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  fs.symlinkSync('busybox', path.join(root, 'bin', 'sh'));
  for (const { host, dest } of extra) {
    fs.copyFileSync(host, path.join(root, dest));
    fs.chmodSync(path.join(root, dest), 0o755);
  }
  return root;
}
