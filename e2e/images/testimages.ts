/**
 * The images tsvisor's own CRI tests pull (repository "tsvisor-test/..."),
 * built from host binaries. See layers-expected.json for the tree the
 * layers image must unpack to.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../syscalls/harness';
import {
  AMD64,
  ARM64,
  indexImage,
  Layer,
  makeLayer,
  makePlatformImage,
  ManifestFormat,
  placeholderImage,
  relabelLayer,
  RunConfig,
  singleImage,
  TestImage,
} from './oci';
import { BASE_GROUPS, BASE_USERS, BUSYBOX, busyboxRoot, dirs, file, sorted, staticProgram } from './rootfs';
import { opaqueWhiteout, TarEntry, whiteout } from './tar';

export const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The expected unpacked tree of tsvisor-test/layers:1.0 (hand-written, independent of the builder). */
export const LAYERS_EXPECTED_JSON = path.join(REPO_ROOT, 'e2e', 'images', 'layers-expected.json');

export const PAUSE_IMAGE = { repository: 'tsvisor-test/pause', tag: '3.9' };

const APP_USERS = [...BASE_USERS, { name: 'app', uid: 1000, gid: 1000, home: '/home/app' }];
const APP_GROUPS = [...BASE_GROUPS, { name: 'app', gid: 1000 }];

let busyboxLayerCache: Layer | undefined;

/** tsvisor-test/busybox's single layer (shared by its variants and by config). */
function busyboxLayer(): Layer {
  busyboxLayerCache ??= makeLayer(
    sorted([...busyboxRoot(APP_USERS, APP_GROUPS), { type: 'dir', path: 'home/app', mode: 0o755, uid: 1000, gid: 1000 }]),
    'oci',
  );
  return busyboxLayerCache;
}

const BUSYBOX_CONFIG: RunConfig = { Env: [PATH_ENV], Cmd: ['sh'] };

function busybox(format: ManifestFormat) {
  return makePlatformImage(format, AMD64, BUSYBOX_CONFIG, [relabelLayer(busyboxLayer(), format)]);
}

function fakeArm64(format: ManifestFormat) {
  return placeholderImage(format, ARM64, BUSYBOX_CONFIG);
}

/** The three layers of tsvisor-test/layers:1.0 (see layers-expected.json). */
export function layersLayers(): TarEntry[][] {
  const long = `data/long/${'d'.repeat(60)}/${'f'.repeat(50)}.txt`;
  const l1: TarEntry[] = [
    ...dirs(['bin', 'data', 'data/dir-gone', 'data/long', `data/long/${'d'.repeat(60)}`, 'data/opaque', 'data/opaque/sub']),
    { type: 'dir', path: 'data/sticky', mode: 0o1777 },
    file('bin/busybox', fs.readFileSync(BUSYBOX), 0o755),
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    file('data/keep.txt', 'keep v1\n'),
    file('data/gone.txt', 'deleted in layer 2\n'),
    file('data/dir-gone/inner.txt', 'deleted with its directory in layer 2\n'),
    file('data/opaque/old.txt', 'hidden by the opaque directory in layer 3\n'),
    file('data/opaque/sub/old2.txt', 'hidden by the opaque directory in layer 3\n'),
    file('data/exec.sh', '#!/bin/sh\necho exec\n', 0o755),
    file('data/secret', 'secret\n', 0o600),
    file('data/readonly', 'read only\n', 0o444),
    file('data/setuid', 'setuid file\n', 0o4755),
    file('data/hard-target.txt', 'shared by a hard link\n'),
    { type: 'hardlink', path: 'data/hardlink.txt', target: 'data/hard-target.txt' },
    { type: 'symlink', path: 'data/link', target: 'keep.txt' },
    { type: 'symlink', path: 'data/abs-link', target: '/data/keep.txt' },
    { type: 'symlink', path: 'data/link-then-file', target: 'keep.txt' },
    file('data/file-then-dir', 'a file in layer 1, a directory in layer 2\n'),
    { type: 'file', path: 'data/owned', data: 'owned by app\n', mode: 0o640, uid: 1000, gid: 1000 },
    file(long, 'a path longer than 100 bytes\n'),
  ];
  const l2: TarEntry[] = [
    ...dirs(['data', 'data/file-then-dir', 'data/opaque', 'data/opaque/sub']),
    whiteout('data/gone.txt'),
    whiteout('data/dir-gone'),
    file('data/keep.txt', 'keep v2\n'),
    file('data/new.txt', 'added in layer 2\n'),
    file('data/file-then-dir/child.txt', 'inside the directory that replaced a file\n'),
    file('data/opaque/sub/l2.txt', 'hidden by the opaque directory in layer 3\n'),
  ];
  const l3: TarEntry[] = [
    ...dirs(['data', 'data/opaque']),
    opaqueWhiteout('data/opaque'),
    file('data/opaque/new.txt', 'the only file left in the opaque directory\n'),
    file('data/link-then-file', 'a symlink in layer 1, a file in layer 3\n'),
  ];
  return [sorted(l1), sorted(l2), sorted(l3)];
}

/** tsvisor-test/* images, in push order. */
export function tsvisorTestImages(): TestImage[] {
  const layers = layersLayers().map((entries) => makeLayer(entries, 'oci'));
  const httpdRoot = sorted([
    ...busyboxRoot(),
    ...dirs(['var/www/html']),
    file('var/www/html/index.html', '<html><body><h1>tsvisor-test httpd</h1></body></html>\n'),
  ]);
  return [
    singleImage('tsvisor-test/busybox', '1.0', busybox('oci')),
    singleImage('tsvisor-test/busybox', 'docker-v2', busybox('docker')),
    indexImage('tsvisor-test/busybox', 'multiarch', 'oci', [busybox('oci'), fakeArm64('oci')]),
    indexImage('tsvisor-test/busybox', 'multiarch-docker', 'docker', [busybox('docker'), fakeArm64('docker')]),
    singleImage('tsvisor-test/layers', '1.0', makePlatformImage('oci', AMD64, { Env: [PATH_ENV], Cmd: ['sh'] }, layers)),
    singleImage(
      'tsvisor-test/config',
      '1.0',
      makePlatformImage(
        'oci',
        AMD64,
        {
          User: '1000',
          WorkingDir: '/work',
          Env: [PATH_ENV, 'FOO=bar'],
          Entrypoint: ['/bin/sh', '-c'],
          Cmd: ['echo hello from $FOO in $(pwd) as $(id -u)'],
          Labels: { 'io.tsvisor.test': 'config' },
        },
        [busyboxLayer(), makeLayer([{ type: 'dir', path: 'work', mode: 0o755, uid: 1000, gid: 1000 }], 'oci')],
      ),
    ),
    singleImage(
      'tsvisor-test/httpd',
      '1.0',
      makePlatformImage(
        'oci',
        AMD64,
        { Env: [PATH_ENV], Cmd: ['httpd', '-f', '-p', '80', '-h', '/var/www/html'], ExposedPorts: ['80/tcp'] },
        [makeLayer(httpdRoot, 'oci')],
      ),
    ),
    // The sandbox image of the reference containerd (harness startContainerd): one static binary.
    singleImage(
      PAUSE_IMAGE.repository,
      PAUSE_IMAGE.tag,
      makePlatformImage('oci', AMD64, { Entrypoint: ['/pause'] }, [makeLayer([file('pause', staticProgram('pause'), 0o755)], 'oci')]),
    ),
  ];
}

/** One entry of layers-expected.json. */
export type ExpectedEntry =
  | { path: string; type: 'dir'; mode: string; uid: number; gid: number }
  | { path: string; type: 'symlink'; target: string }
  | {
      path: string;
      type: 'file';
      mode: string;
      uid: number;
      gid: number;
      content?: string;
      hardLinkOf?: string;
      sameAsHostFile?: string;
    };

export interface LayersExpectation {
  image: string;
  entries: ExpectedEntry[];
  absent: string[];
}

export function loadLayersExpectation(): LayersExpectation {
  return JSON.parse(fs.readFileSync(LAYERS_EXPECTED_JSON, 'utf8')) as LayersExpectation;
}

/**
 * Asserts that the tree at `root` is exactly layers-expected.json: the same
 * paths, and each entry's type, mode, owner, link target and content; the
 * whited-out paths are gone.
 */
export function assertLayersExpectation(root: string): void {
  const want = loadLayersExpectation();
  const seen: string[] = [];
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(root, rel))) {
      const p = rel === '' ? name : `${rel}/${name}`;
      seen.push(p);
      if (fs.lstatSync(path.join(root, p)).isDirectory()) walk(p);
    }
  };
  walk('');
  assert.deepEqual(seen.sort(), want.entries.map((e) => e.path).sort(), 'the tree has exactly the expected paths');
  for (const e of want.entries) {
    const full = path.join(root, e.path);
    const st = fs.lstatSync(full);
    if (e.type === 'symlink') {
      assert.ok(st.isSymbolicLink(), e.path);
      assert.equal(fs.readlinkSync(full), e.target, e.path);
      continue;
    }
    assert.equal(e.type === 'dir' ? st.isDirectory() : st.isFile(), true, `${e.path} is a ${e.type}`);
    assert.equal((st.mode & 0o7777).toString(8).padStart(4, '0'), e.mode, `${e.path} mode`);
    assert.deepEqual([st.uid, st.gid], [e.uid, e.gid], `${e.path} owner`);
    if (e.type !== 'file') continue;
    if (e.content !== undefined) assert.equal(fs.readFileSync(full, 'utf8'), e.content, e.path);
    if (e.sameAsHostFile !== undefined) assert.ok(fs.readFileSync(full).equals(fs.readFileSync(e.sameAsHostFile)), e.path);
    if (e.hardLinkOf !== undefined) assert.equal(st.ino, fs.lstatSync(path.join(root, e.hardLinkOf)).ino, `${e.path} is a hard link`);
  }
  for (const p of want.absent) assert.equal(fs.existsSync(path.join(root, p)), false, `${p} must be gone`);
}
