/**
 * Copying tsvisor onto the node: the parts of this tree `tsvisor cri` needs
 * are mirrored into the install directory (extra files removed, unchanged
 * files left alone, so a second run changes nothing and says so).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What `tsvisor cri` runs from, relative to the tree (api.proto is read at run time). */
export const INSTALL_TREE: readonly string[] = [
  'package.json',
  'bin',
  'cri/proto/api.proto',
  'dist/cli',
  'dist/cri',
  'dist/gofer',
  'dist/sentry',
  'node_modules',
];

/** Node itself, at the top of the installation; bin/tsvisor runs it as $TSVISOR_NODE. */
export const NODE_IN_TREE = 'node';

/** Compiled tests are not part of an installation. */
const skip = (name: string) => name.endsWith('.test.js');

/** Mirrors file or directory `src` to `dst`; returns how many entries it created, replaced or removed. */
export function mirror(src: string, dst: string): number {
  const st = fs.lstatSync(src);
  let changed = 0;
  let cur: fs.Stats | undefined;
  try {
    cur = fs.lstatSync(dst);
  } catch {
    cur = undefined;
  }
  if (cur !== undefined && kind(cur) !== kind(st)) {
    fs.rmSync(dst, { recursive: true, force: true });
    cur = undefined;
    changed++;
  }
  if (st.isDirectory()) {
    if (cur === undefined) {
      fs.mkdirSync(dst, { mode: st.mode & 0o7777 });
      changed++;
    }
    const names = fs.readdirSync(src).filter((n) => !skip(n));
    for (const n of names) changed += mirror(path.join(src, n), path.join(dst, n));
    for (const extra of fs.readdirSync(dst).filter((n) => !names.includes(n))) {
      fs.rmSync(path.join(dst, extra), { recursive: true, force: true });
      changed++;
    }
    if ((fs.statSync(dst).mode & 0o7777) !== (st.mode & 0o7777)) fs.chmodSync(dst, st.mode & 0o7777);
  } else if (st.isSymbolicLink()) {
    const target = fs.readlinkSync(src);
    if (cur === undefined || fs.readlinkSync(dst) !== target) {
      fs.rmSync(dst, { force: true });
      fs.symlinkSync(target, dst);
      changed++;
    }
  } else if (st.isFile()) {
    // Content, not mtime: reproducible images give every file the same mtime.
    if (cur === undefined || cur.size !== st.size || (cur.mode & 0o7777) !== (st.mode & 0o7777) || !fs.readFileSync(src).equals(fs.readFileSync(dst))) {
      // Written beside and renamed: a running tsvisor never sees half a file.
      const tmp = `${dst}.tsvisor-new`;
      fs.copyFileSync(src, tmp);
      fs.chmodSync(tmp, st.mode & 0o7777);
      fs.utimesSync(tmp, st.atime, st.mtime);
      fs.renameSync(tmp, dst);
      changed++;
    }
  } else {
    throw new Error(`${src}: not a file, directory or symlink`);
  }
  return changed;
}

function kind(st: fs.Stats): string {
  return st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
}

/** Installs INSTALL_TREE from `tree` and the Node binary `node` into `dir`; returns the number of changes. */
export function installTree(tree: string, node: string, dir: string): number {
  let changed = 0;
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    changed++;
  }
  const wanted = new Set([...INSTALL_TREE.map((p) => p.split('/')[0]), NODE_IN_TREE]);
  for (const rel of INSTALL_TREE) {
    const src = path.join(tree, rel);
    if (!fs.existsSync(src)) throw new Error(`${src} is missing: the installer's tree is incomplete`);
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    changed += mirror(src, path.join(dir, rel));
  }
  changed += mirror(node, path.join(dir, NODE_IN_TREE));
  // Leftovers of another version: at the top, then beside the listed paths (dist/e2e, say).
  for (const extra of fs.readdirSync(dir).filter((n) => !wanted.has(n))) {
    fs.rmSync(path.join(dir, extra), { recursive: true, force: true });
    changed++;
  }
  changed += prune(dir, INSTALL_TREE);
  return changed;
}

/** Removes entries under the partial parents of INSTALL_TREE (dist/, cri/) that no listed path covers. */
function prune(dir: string, keep: readonly string[]): number {
  let changed = 0;
  const parents = new Set(keep.filter((p) => p.includes('/')).flatMap((p) => p.split('/').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('/'))));
  for (const parent of parents) {
    const children = new Set(keep.filter((p) => p.startsWith(`${parent}/`)).map((p) => p.slice(parent.length + 1).split('/')[0]));
    for (const name of fs.readdirSync(path.join(dir, parent))) {
      if (!children.has(name)) {
        fs.rmSync(path.join(dir, parent, name), { recursive: true, force: true });
        changed++;
      }
    }
  }
  return changed;
}
