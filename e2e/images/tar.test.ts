// The tar writer against GNU tar: what GNU tar lists and extracts is the reference.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freshDir } from '../syscalls/harness';
import { opaqueWhiteout, TarEntry, whiteout, writeTar } from './tar';

function gnuTar(args: string[], input: Buffer, cwd?: string): string {
  const r = spawnSync('/usr/bin/tar', args, { input, cwd, encoding: 'utf8', env: { TZ: 'UTC', LC_ALL: 'C' } });
  assert.equal(r.status, 0, `tar ${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr, '', 'GNU tar warned');
  return r.stdout;
}

/** `tar -tv` lines with runs of blanks squeezed (GNU tar pads the size column). */
function listing(archive: Buffer): string[] {
  return gnuTar(['--numeric-owner', '-tvf', '-'], archive)
    .trimEnd()
    .split('\n')
    .map((l) => l.replace(/ +/g, ' '));
}

const LONG_DIR = `deep/${'d'.repeat(70)}`;
const LONG_FILE = `${LONG_DIR}/${'f'.repeat(60)}.txt`; // 141 bytes: needs PAX
const LONG_TARGET = `../${'t'.repeat(120)}`;

const ENTRIES: TarEntry[] = [
  { type: 'dir', path: 'deep' },
  { type: 'dir', path: LONG_DIR, mode: 0o700 },
  { type: 'file', path: LONG_FILE, data: 'long\n' },
  { type: 'dir', path: 'tmp', mode: 0o1777 },
  { type: 'file', path: 'tmp/a.txt', data: 'hello\n', mode: 0o600, uid: 1000, gid: 1001 },
  { type: 'file', path: 'tmp/suid', data: '', mode: 0o4755 },
  { type: 'hardlink', path: 'tmp/b.txt', target: 'tmp/a.txt' },
  { type: 'symlink', path: 'tmp/rel', target: 'a.txt' },
  { type: 'symlink', path: 'tmp/far', target: LONG_TARGET },
  whiteout('tmp/gone'),
  opaqueWhiteout('deep'),
];

describe('e2e/images tar writer', () => {
  it('is listed by GNU tar exactly as written (modes, owners, mtime, PAX names and link targets)', () => {
    assert.deepEqual(listing(writeTar(ENTRIES)), [
      'drwxr-xr-x 0/0 0 2024-01-01 00:00 deep/',
      `drwx------ 0/0 0 2024-01-01 00:00 ${LONG_DIR}/`,
      `-rw-r--r-- 0/0 5 2024-01-01 00:00 ${LONG_FILE}`,
      'drwxrwxrwt 0/0 0 2024-01-01 00:00 tmp/',
      '-rw------- 1000/1001 6 2024-01-01 00:00 tmp/a.txt',
      '-rwsr-xr-x 0/0 0 2024-01-01 00:00 tmp/suid',
      'hrw-r--r-- 0/0 0 2024-01-01 00:00 tmp/b.txt link to tmp/a.txt',
      'lrwxrwxrwx 0/0 0 2024-01-01 00:00 tmp/rel -> a.txt',
      `lrwxrwxrwx 0/0 0 2024-01-01 00:00 tmp/far -> ${LONG_TARGET}`,
      '-rw-r--r-- 0/0 0 2024-01-01 00:00 tmp/.wh.gone',
      '-rw-r--r-- 0/0 0 2024-01-01 00:00 deep/.wh..wh..opq',
    ]);
  });

  it('extracts with GNU tar to the same files, hard link sharing an inode', () => {
    const dir = freshDir('tar');
    gnuTar(['--numeric-owner', '-xpf', '-'], writeTar(ENTRIES), dir);
    assert.equal(fs.readFileSync(path.join(dir, LONG_FILE), 'utf8'), 'long\n');
    const a = fs.lstatSync(path.join(dir, 'tmp/a.txt'));
    assert.equal(a.mode & 0o7777, 0o600);
    assert.deepEqual([a.uid, a.gid, a.nlink], [1000, 1001, 2]);
    assert.equal(fs.lstatSync(path.join(dir, 'tmp/b.txt')).ino, a.ino);
    assert.equal(fs.readlinkSync(path.join(dir, 'tmp/far')), LONG_TARGET);
    assert.equal(fs.lstatSync(path.join(dir, 'tmp/suid')).mode & 0o7777, 0o4755);
    assert.equal(fs.lstatSync(path.join(dir, 'tmp')).mode & 0o7777, 0o1777);
    assert.equal(fs.statSync(path.join(dir, 'tmp/a.txt')).mtimeMs, 1704067200 * 1000);
  });

  it('writes PAX records GNU tar reads for every name length around the digit boundaries', () => {
    // Names around 100 bytes cross from ustar to PAX; a PAX record's length counts its own digits,
    // and " path=NAME\n" of a 990-byte name is exactly the record that grows from 3 to 4 digits.
    const entries: TarEntry[] = [];
    for (let n = 95; n <= 105; n++) entries.push({ type: 'file', path: `p${n}-`.padEnd(n, 'x'), data: '' });
    for (let n = 985; n <= 995; n++) entries.push({ type: 'file', path: `q${n}-`.padEnd(n, 'y'), data: '' });
    const names = gnuTar(['-tf', '-'], writeTar(entries)).trimEnd().split('\n');
    assert.deepEqual(names, entries.map((e) => e.path));
  });

  it('is deterministic', () => {
    assert.ok(writeTar(ENTRIES).equals(writeTar(ENTRIES)));
  });

  it('refuses bad paths, duplicates and hard links to later entries', () => {
    for (const p of ['', '/abs', './x', 'a/../b', 'a//b', 'dir/']) {
      assert.throws(() => writeTar([{ type: 'file', path: p, data: '' }]), /bad entry path/, p);
    }
    assert.throws(() => writeTar([{ type: 'dir', path: 'a' }, { type: 'dir', path: 'a' }]), /duplicate entry a/);
    assert.throws(
      () => writeTar([{ type: 'hardlink', path: 'l', target: 'f' }, { type: 'file', path: 'f', data: '' }]),
      /target must come earlier/,
    );
  });
});
