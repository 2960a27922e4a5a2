import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplyError, LayerApplier } from './apply';
import { readTar } from './tar';
import { gnuTar, rawTar, scratch, type RawEntry } from './testkit';

async function apply(root: string, layers: Buffer[], log: string[] = []): Promise<void> {
  const applier = new LayerApplier(root, (m) => log.push(m));
  for (const l of layers) await applier.apply(readTar((async function* () { yield l; })()));
}

interface Node {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime?: number;
  content?: string;
  target?: string;
  ino: number;
}

/** Every path below `root` with what a container would see. */
function snapshot(root: string): Map<string, Node> {
  const out = new Map<string, Node>();
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const p = path.join(root, r);
      const st = fs.lstatSync(p);
      const n: Node = { type: '', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, ino: st.ino };
      if (st.isSymbolicLink()) Object.assign(n, { type: 'symlink', target: fs.readlinkSync(p), mode: 0 });
      else if (st.isDirectory()) n.type = 'dir';
      else if (st.isFIFO()) Object.assign(n, { type: 'fifo', mtime: st.mtimeMs });
      else Object.assign(n, { type: 'file', content: fs.readFileSync(p, 'utf8'), mtime: st.mtimeMs });
      out.set(r, n);
      if (n.type === 'dir') walk(r);
    }
  };
  walk('');
  return out;
}

function contents(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [p, n] of snapshot(root)) out[p] = n.type === 'file' ? n.content! : n.type === 'symlink' ? `-> ${n.target}` : n.type;
  return out;
}

const file = (name: string, data: string, extra: Partial<RawEntry> = {}): RawEntry => ({ name, data, ...extra });
const dir = (name: string, mode = 0o755): RawEntry => ({ name, type: '5', mode });
const symlink = (name: string, linkname: string): RawEntry => ({ name, type: '2', linkname });
const hardlink = (name: string, linkname: string): RawEntry => ({ name, type: '1', linkname });

describe('cri/image layer applier', () => {
  let base: string;
  let root: string;
  beforeEach(() => {
    base = scratch('apply');
    root = path.join(base, 'root');
    fs.mkdirSync(root);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it('reproduces a tree archived by GNU tar (pax): modes, owners, mtimes, links, fifos, long names, xattrs', async () => {
    const src = path.join(base, 'src');
    const long = `${'l'.repeat(120)}/${'m'.repeat(120)}`;
    fs.mkdirSync(path.join(src, long), { recursive: true });
    fs.writeFileSync(path.join(src, long, 'deep.txt'), 'deep\n');
    fs.writeFileSync(path.join(src, 'plain'), 'plain\n', { mode: 0o644 });
    fs.writeFileSync(path.join(src, 'secret'), 'secret\n');
    fs.chmodSync(path.join(src, 'secret'), 0o600);
    fs.writeFileSync(path.join(src, 'suid'), 'suid\n');
    fs.chownSync(path.join(src, 'suid'), 1000, 1001);
    fs.chmodSync(path.join(src, 'suid'), 0o4755);
    fs.mkdirSync(path.join(src, 'sticky'));
    fs.chmodSync(path.join(src, 'sticky'), 0o1777);
    fs.linkSync(path.join(src, 'plain'), path.join(src, 'plain.hard'));
    fs.symlinkSync('plain', path.join(src, 'rel.link'));
    fs.symlinkSync('/etc/passwd', path.join(src, 'abs.link'));
    assert.equal(spawnSync('/usr/bin/mkfifo', ['-m', '0620', path.join(src, 'pipe')]).status, 0);
    assert.equal(spawnSync('/usr/bin/python3', ['-c', `import os; os.setxattr(${JSON.stringify(path.join(src, 'plain'))}, 'user.k', b'v')`]).status, 0);
    spawnSync('/usr/bin/find', [src, '-exec', 'touch', '-h', '-d', '@1600000000', '{}', '+']);

    await apply(root, [gnuTar(src, ['--format=pax', '--xattrs', '--xattrs-include=user.*', '--sort=name', '.'])]);
    const want = snapshot(src);
    const got = snapshot(root);
    assert.deepEqual([...got.keys()], [...want.keys()]);
    for (const [p, w] of want) {
      const g = got.get(p)!;
      assert.deepEqual({ ...g, ino: 0 }, { ...w, ino: 0 }, p);
    }
    assert.equal(got.get('plain')!.ino, got.get('plain.hard')!.ino);
    const xattr = spawnSync('/usr/bin/python3', ['-c', `import os; print(os.getxattr(${JSON.stringify(path.join(root, 'plain'))}, 'user.k').decode())`]);
    assert.equal(xattr.stdout.toString(), 'v\n');
  });

  it('applies whiteouts and opaque directories to lower layers only', async () => {
    await apply(root, [
      rawTar([dir('a'), file('a/x', 'x'), file('a/y', 'y'), dir('b'), file('b/z', 'z'), dir('b/sub'), file('b/sub/old', 'o'), file('keep', 'k'), file('f', 'v1'), file('g', 'g1')]),
      rawTar([
        file('a/.wh.x', ''),
        dir('b'), file('b/.wh..wh..opq', ''), dir('b/sub'), file('b/sub/new', 'n'), file('b/top', 't'),
        file('.wh.f', ''), file('f', 'v2'), // whiteout then re-add: the new file stays
        file('g', 'g2'), file('.wh.g', ''), // this layer's own file is not whited out
        file('.wh.missing', ''), file('nodir/.wh.x', ''),
        file('a/.wh..wh.plnk', ''),
      ]),
    ]);
    assert.deepEqual(contents(root), { a: 'dir', 'a/y': 'y', b: 'dir', 'b/sub': 'dir', 'b/sub/new': 'n', 'b/top': 't', f: 'v2', g: 'g2', keep: 'k' });
  });

  it('replaces files by directories, directories by files and symlinks by files without following them', async () => {
    const outside = path.join(base, 'outside.txt');
    fs.writeFileSync(outside, 'untouched');
    await apply(root, [
      rawTar([file('fd', 'file'), dir('df'), file('df/child', 'c'), symlink('link', outside), symlink('dirlink', base)]),
      rawTar([dir('fd'), file('fd/in', 'i'), file('df', 'now a file'), file('link', 'replaced'), dir('dirlink')]),
    ]);
    assert.deepEqual(contents(root), { df: 'now a file', dirlink: 'dir', fd: 'dir', 'fd/in': 'i', link: 'replaced' });
    assert.equal(fs.readFileSync(outside, 'utf8'), 'untouched');
  });

  it('follows symlinked parent directories inside the root only (absolute targets restart at the root)', async () => {
    await apply(root, [
      rawTar([dir('run'), dir('var'), symlink('var/run', '/run'), symlink('var/rel', '../run'), symlink('host', base)]),
      rawTar([file('var/run/a.pid', '1'), file('var/rel/b.pid', '2'), file('host/c', '3')]),
    ]);
    assert.equal(fs.readFileSync(path.join(root, 'run/a.pid'), 'utf8'), '1');
    assert.equal(fs.readFileSync(path.join(root, 'run/b.pid'), 'utf8'), '2');
    assert.equal(fs.readFileSync(path.join(root, base, 'c'), 'utf8'), '3');
    assert.equal(fs.existsSync(path.join(base, 'c')), false);
  });

  const hostile: [string, RawEntry[][], RegExp][] = [
    ['absolute paths', [[file('/etc/evil', 'x')]], /absolute path/],
    ['.. components', [[file('a/../../evil', 'x')]], /contains '\.\.'/],
    ['a symlink escaping through ..', [[symlink('esc', '../../..')], [file('esc/evil', 'x')]], /escapes the image root/],
    ['a symlink escaping in the same layer', [[symlink('esc', '/../evil-dir'), file('esc/evil', 'x')]], /escapes the image root/],
    ['a chain of symlinks escaping', [[dir('d'), symlink('d/up', '..'), symlink('d/up2', 'up/..'), file('d/up2/evil', 'x')]], /escapes the image root/],
    ['a hard link to ..', [[hardlink('h', '../evil-target')]], /contains '\.\.'/],
    ['a hard link through an escaping symlink', [[symlink('esc', '../..'), hardlink('h', 'esc/evil-target')]], /escapes the image root/],
    ['a hard link to an absolute path', [[hardlink('h', '/etc/passwd')]], /absolute path/],
    ['a hard link to nothing', [[hardlink('h', 'missing')]], /does not exist/],
    ['a hard link to a directory', [[dir('d'), hardlink('h', 'd')]], /is a directory/],
    ['a whiteout of ..', [[file('a/.wh...', '')]], /invalid whiteout/],
    ['a root entry that is not a directory', [[file('.', 'x')]], /root entry/],
    ['a symlink loop', [[symlink('a', 'b'), symlink('b', 'a'), file('a/x', '')]], /too many levels/],
  ];
  for (const [what, layers, msg] of hostile) {
    it(`refuses ${what}, writing nothing outside the root`, async () => {
      fs.writeFileSync(path.join(base, 'evil-target'), 'host file');
      const before = fs.readdirSync(base).sort();
      await assert.rejects(apply(root, layers.map(rawTar)), (e: Error) => e instanceof ApplyError && msg.test(e.message));
      assert.deepEqual(fs.readdirSync(base).sort(), before);
      assert.equal(fs.statSync(path.join(base, 'evil-target')).nlink, 1);
    });
  }

  it('never creates device nodes (logged) but creates FIFOs', async () => {
    const log: string[] = [];
    await apply(root, [rawTar([{ name: 'null', type: '3', devmajor: 1, devminor: 3 }, { name: 'sda', type: '4', devmajor: 8, devminor: 0 }, { name: 'fifo', type: '6', mode: 0o600 }])], log);
    assert.deepEqual(contents(root), { fifo: 'fifo' });
    assert.deepEqual(log, ['image layer: skipped char device null (1:3)', 'image layer: skipped block device sda (8:0)']);
  });

  it('sets only user.* and security.capability xattrs', async () => {
    const log: string[] = [];
    await apply(root, [rawTar([file('f', 'x', { pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y', 'SCHILY.xattr.user.ok': 'yes' } })])], log);
    assert.deepEqual(log, ['image layer: skipped xattr trusted.overlay.opaque on f']);
  });
});
