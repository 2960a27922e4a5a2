import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePax, readTar, TarError, type TarEntry } from './tar';
import { gnuTar, rawTar, scratch } from './testkit';

type Plain = Omit<TarEntry, 'body' | 'xattrs'> & { data: string; xattrs: Record<string, string> };

async function entries(archive: Buffer | Buffer[]): Promise<Plain[]> {
  const chunks = Array.isArray(archive) ? archive : [archive];
  const out: Plain[] = [];
  for await (const e of readTar((async function* () { yield* chunks; })())) {
    const parts: Buffer[] = [];
    for await (const c of e.body()) parts.push(c);
    const { body: _b, xattrs, ...rest } = e;
    out.push({ ...rest, data: Buffer.concat(parts).toString(), xattrs: Object.fromEntries([...xattrs].map(([k, v]) => [k, v.toString()])) });
  }
  return out;
}

describe('cri/image tar reader', () => {
  let dir: string;
  before(() => {
    dir = scratch('tar');
    const src = path.join(dir, 'src');
    const long = path.join(src, 'd'.repeat(80), 'e'.repeat(80));
    fs.mkdirSync(long, { recursive: true });
    fs.writeFileSync(path.join(long, 'f'.repeat(90)), 'long\n');
    fs.writeFileSync(path.join(src, 'a.txt'), 'hello\n', { mode: 0o640 });
    fs.linkSync(path.join(src, 'a.txt'), path.join(src, 'hard.txt'));
    fs.symlinkSync('d'.repeat(80) + '/' + 'e'.repeat(80) + '/' + 'f'.repeat(90), path.join(src, 'longlink'));
    fs.writeFileSync(path.join(src, 'big'), Buffer.alloc(70000, 7));
    for (const p of ['a.txt', 'hard.txt', 'big', 'longlink']) fs.lutimesSync(path.join(src, p), 1600000000, 1600000000);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const format of ['gnu', 'pax', 'ustar']) {
    it(`reads GNU tar --format=${format}: long names, hard links, symlinks, modes, sizes`, async function () {
      const args = ['--format=' + format, '--sort=name', '.'];
      if (format === 'ustar') {
        // ustar cannot store the 250-byte path; everything else must read back.
        args.splice(2, 1, 'a.txt', 'hard.txt', 'big');
      }
      const got = await entries(gnuTar(path.join(dir, 'src'), args));
      const byPath = new Map(got.map((e) => [e.path.replace(/^\.\//, ''), e]));
      const a = byPath.get('a.txt')!;
      assert.equal(a.type, 'file');
      assert.equal(a.mode, 0o640);
      assert.equal(a.data, 'hello\n');
      assert.equal(a.mtime, 1600000000);
      const hard = byPath.get('hard.txt')!;
      assert.equal(hard.type, 'hardlink');
      assert.equal(hard.linkpath.replace(/^\.\//, ''), 'a.txt');
      assert.equal(hard.data, '');
      assert.equal(byPath.get('big')!.data, Buffer.alloc(70000, 7).toString());
      if (format !== 'ustar') {
        const longPath = `${'d'.repeat(80)}/${'e'.repeat(80)}/${'f'.repeat(90)}`;
        assert.equal(byPath.get(longPath)?.data, 'long\n');
        assert.equal(byPath.get('longlink')?.type, 'symlink');
        assert.equal(byPath.get('longlink')?.linkpath, longPath);
        assert.equal(byPath.get(`${'d'.repeat(80)}/`)?.type ?? byPath.get('d'.repeat(80))?.type, 'dir');
      }
    });
  }

  it('reads a ustar path split over prefix and name', async () => {
    const src = path.join(dir, 'prefix');
    const p = `${'p'.repeat(90)}/${'q'.repeat(60)}`;
    fs.mkdirSync(path.join(src, 'p'.repeat(90)), { recursive: true });
    fs.writeFileSync(path.join(src, p), 'x');
    const got = await entries(gnuTar(src, ['--format=ustar', p]));
    assert.deepEqual(got.map((e) => e.path), [p]);
  });

  it('reads PAX SCHILY.xattr records written by GNU tar --xattrs', async () => {
    const src = path.join(dir, 'xattr');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'f'), 'x');
    const { spawnSync } = await import('node:child_process');
    assert.equal(spawnSync('/usr/bin/python3', ['-c', `import os; os.setxattr(${JSON.stringify(path.join(src, 'f'))}, 'user.colour', b'blue')`]).status, 0);
    const got = await entries(gnuTar(src, ['--format=pax', '--xattrs', '--xattrs-include=user.*', 'f']));
    assert.deepEqual(got[0].xattrs, { 'user.colour': 'blue' });
  });

  it('reads GNU base-256 numbers (uid beyond octal range)', async () => {
    const src = path.join(dir, 'b256');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'f'), 'x');
    const got = await entries(gnuTar(src, ['--format=gnu', '--owner=:3000000000', '--group=:5', 'f']));
    assert.equal(got[0].uid, 3000000000);
    assert.equal(got[0].gid, 5);
  });

  it('applies PAX path/linkpath/size/uid/mtime over the ustar fields and g headers to later entries', async () => {
    const a = rawTar([{ name: 'short', pax: { path: 'very/long/name', uid: '70000', mtime: '1600000000.5' }, data: 'abc' }]);
    const [e] = await entries(a);
    assert.deepEqual([e.path, e.uid, e.mtime, e.data], ['very/long/name', 70000, 1600000000.5, 'abc']);
    const g = rawTar([{ name: 'global', type: 'g', data: '16 uid=12345678\n' }, { name: 'a', uid: 1 }, { name: 'b', pax: { uid: '7' } }, { name: 'c' }]);
    assert.deepEqual((await entries(g)).map((x) => [x.path, x.uid]), [['a', 12345678], ['b', 7], ['c', 12345678]]);
  });

  it('hands out entries correctly whatever the chunking of the stream', async () => {
    const a = rawTar([{ name: 'one', data: 'x'.repeat(1000) }, { name: 'two', type: '5' }, { name: 'three', data: 'yz' }]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < a.length; i += 7) chunks.push(a.subarray(i, i + 7));
    assert.deepEqual((await entries(chunks)).map((e) => [e.path, e.type, e.data.length]), [['one', 'file', 1000], ['two', 'dir', 0], ['three', 'file', 2]]);
  });

  it('skips unread bodies', async () => {
    const a = rawTar([{ name: 'one', data: 'x'.repeat(600) }, { name: 'two', data: 'b' }]);
    const names: string[] = [];
    for await (const e of readTar((async function* () { yield a; })())) names.push(e.path);
    assert.deepEqual(names, ['one', 'two']);
  });

  it('refuses a corrupt header checksum, a truncated archive, sparse files and unknown types', async () => {
    const bad = rawTar([{ name: 'f', data: 'abc' }]);
    bad[10] ^= 1;
    await assert.rejects(entries(bad), (e: Error) => e instanceof TarError && /checksum/.test(e.message));
    const full = rawTar([{ name: 'f', data: 'x'.repeat(2000) }]);
    await assert.rejects(entries(full.subarray(0, 1000)), (e: Error) => e instanceof TarError && /unexpected end/.test(e.message));
    await assert.rejects(entries(rawTar([{ name: 's', type: 'S' }])), /unsupported tar entry type "S"/);
    await assert.rejects(entries(rawTar([{ name: 's', pax: { 'GNU.sparse.major': '1' } }])), /sparse/);
  });

  it('refuses oversized and malformed PAX headers', async () => {
    await assert.rejects(entries(rawTar([{ name: 'f', pax: { comment: 'x'.repeat(2 << 20) } }])), /too large/);
    assert.throws(() => parsePax(Buffer.from('5 a=b\n')), TarError);
    assert.throws(() => parsePax(Buffer.from('99 a=b\n')), TarError);
    assert.deepEqual([...parsePax(Buffer.from('6 a=b\n'))].map(([k, v]) => [k, v.toString()]), [['a', 'b']]);
  });

  it('treats an archive without end marker as complete at a header boundary', async () => {
    const a = rawTar([{ name: 'f', data: 'abc' }]);
    assert.deepEqual((await entries(a.subarray(0, 1024))).map((e) => e.path), ['f']);
  });
});
