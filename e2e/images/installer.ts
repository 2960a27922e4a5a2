/**
 * The installer image (charts/tsvisor, deploy/): busybox for the shell tools
 * and nsenter, this machine's Node with the shared libraries it links, and
 * the tsvisor tree the installer copies onto nodes: what it installs
 * (deploy/installer/files.ts INSTALL_TREE, production dependencies only)
 * plus the installer itself. Built from the compiled tree (run tsc first).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { INSTALL_TREE } from '../../deploy/installer/files';
import { REPO_ROOT } from '../syscalls/harness';
import { AMD64, makeLayer, makePlatformImage, singleImage, type TestImage } from './oci';
import { busyboxRoot, completeTree, sharedLibraryFiles } from './rootfs';
import type { TarEntry } from './tar';
import { PATH_ENV } from './testimages';

export const INSTALLER_IMAGE = { repository: 'tsvisor/installer', tag: 'test' };
/** Where the chart runs Node and the tree from (charts/tsvisor/templates/_helpers.tpl). */
export const IMAGE_NODE = 'usr/local/bin/node';
export const IMAGE_TREE = 'tsvisor';

/** The package's production dependencies, transitively (npm's flat node_modules layout). */
function productionPackages(root: string): string[] {
  const seen = new Set<string>();
  const visit = (pkgDir: string) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (seen.has(name)) continue;
      const dir = path.join(root, 'node_modules', name);
      if (!fs.existsSync(dir)) continue; // an optional dependency for another platform
      seen.add(name);
      visit(dir);
    }
  };
  visit(root);
  return [...seen].sort();
}

/** Files, symlinks and directories below `src` as entries under `dst`, tests left out. */
function treeEntries(src: string, dst: string): TarEntry[] {
  const st = fs.lstatSync(src);
  if (st.isSymbolicLink()) return [{ type: 'symlink', path: dst, target: fs.readlinkSync(src) }];
  if (st.isFile()) return [{ type: 'file', path: dst, data: fs.readFileSync(src), mode: st.mode & 0o7777 }];
  const out: TarEntry[] = [{ type: 'dir', path: dst, mode: st.mode & 0o7777 }];
  for (const name of fs.readdirSync(src)) {
    if (!name.endsWith('.test.js')) out.push(...treeEntries(path.join(src, name), `${dst}/${name}`));
  }
  return out;
}

export function installerImage(): TestImage {
  const node = fs.realpathSync(process.execPath);
  const entries: TarEntry[] = [...busyboxRoot()];
  entries.push({ type: 'file', path: IMAGE_NODE, data: fs.readFileSync(node), mode: 0o755 });
  entries.push(...sharedLibraryFiles(node));
  const tree = (rel: string) => entries.push(...treeEntries(path.join(REPO_ROOT, rel), `${IMAGE_TREE}/${rel}`));
  for (const rel of INSTALL_TREE.filter((p) => p !== 'node_modules')) tree(rel);
  tree('dist/deploy');
  for (const pkg of productionPackages(REPO_ROOT)) tree(`node_modules/${pkg}`);
  const layer = makeLayer(completeTree(entries), 'oci');
  return singleImage(
    INSTALLER_IMAGE.repository,
    INSTALLER_IMAGE.tag,
    makePlatformImage('oci', AMD64, { Env: [PATH_ENV], Entrypoint: [`/${IMAGE_NODE}`, `/${IMAGE_TREE}/dist/deploy/installer/main.js`], Cmd: ['--help'] }, [layer]),
  );
}
