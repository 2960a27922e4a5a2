/**
 * Local equivalents of every image critest (cri-tools v1.34.0, pkg/validate)
 * pulls, so critest runs against the local registry only.
 *
 * critest names its images with their public registries, and most tests
 * compare the names a runtime reports with those unprefixed names, so its
 * `-registry-prefix` flag cannot be used. Instead the repositories are pushed
 * under the same paths and the CRI server under test must mirror
 * `CRITEST_MIRRORED_REGISTRIES` to the local registry.
 */
import { stringify } from 'yaml';
import {
  AMD64,
  ARM64,
  indexImage,
  Layer,
  makeLayer,
  makePlatformImage,
  PlatformImage,
  placeholderImage,
  RunConfig,
  singleImage,
  TestImage,
} from './oci';
import * as fs from 'node:fs';
import { debianBusyboxPath } from '../cri/tools';
import { BASE_GROUPS, BASE_USERS, busyboxRoot, completeTree, dirs, file, Group, sharedLibraryFiles, sorted, staticProgram, User } from './rootfs';
import { TarEntry } from './tar';
import { PATH_ENV } from './testimages';

/** The registries critest's image names use; a CRI server under critest must mirror both to the local registry. */
export const CRITEST_MIRRORED_REGISTRIES = ['registry.k8s.io', 'gcr.io'] as const;

const E2E = 'e2e-test-images'; // registry.k8s.io/e2e-test-images/...
const CRI_TOOLS = 'k8s-staging-cri-tools'; // gcr.io/k8s-staging-cri-tools/...

/** What critest's `-test-images-file` overrides (framework.TestImageList). */
export const CRITEST_TEST_IMAGES = {
  defaultTestContainerImage: `registry.k8s.io/${E2E}/busybox:1.29-2`,
  webServerTestImage: `registry.k8s.io/${E2E}/nginx:1.14-2`,
};

/**
 * critest tests that cannot pass against local images, for `-ginkgo.skip`:
 * the digest test pulls gcr.io/k8s-staging-cri-tools/test-image-digest by a
 * fixed sha256 of the published manifest, which no local build can reproduce.
 */
export const CRITEST_SKIP = ['public image with digest should be pulled and removed'];

/** The YAML for critest's `-test-images-file`. */
export function critestImagesYaml(): string {
  return stringify(CRITEST_TEST_IMAGES);
}

let baseLayerCache: Layer | undefined;

/** Host programs the specs run that busybox lacks (pgrep: execSync with timeout; ipcs: HostIpc), each with its libraries. */
const HOST_PROGRAMS = ['/usr/bin/pgrep', '/usr/bin/ipcs'];

/**
 * The busybox layer every critest image starts from (pushed once, shared).
 * As in the busybox image critest's specs were written for: a busybox whose
 * shell runs applets through PATH (Debian's dynamically linked one, with its
 * libraries; the static one runs them itself), and each applet a hard link
 * to /bin/busybox, not a symlink: the MaskedPaths spec masks /bin/ls,
 * expects `ls` to fail and the shell to keep working.
 */
function baseLayer(): Layer {
  const isApplet = (e: TarEntry) => e.type === 'symlink' && e.target.endsWith('bin/busybox');
  const busybox = debianBusyboxPath();
  const entries = completeTree([
    ...busyboxRoot(BASE_USERS, BASE_GROUPS, busybox),
    ...sharedLibraryFiles(busybox),
    ...HOST_PROGRAMS.flatMap((p) => [file(p.slice(1), fs.readFileSync(p), 0o755), ...sharedLibraryFiles(p)]),
  ]);
  const links = entries.filter(isApplet).map((e): TarEntry => ({ type: 'hardlink', path: e.path, target: 'bin/busybox' }));
  // A hard link must come after its target in the tar stream.
  baseLayerCache ??= makeLayer([...entries.filter((e) => !isApplet(e)), ...links], 'docker');
  return baseLayerCache;
}

const SH: RunConfig = { Env: [PATH_ENV], Cmd: ['sh'] };

function onBusybox(runConfig: RunConfig, extra: TarEntry[][] = []): PlatformImage {
  return makePlatformImage('docker', AMD64, runConfig, [baseLayer(), ...extra.map((e) => makeLayer(sorted(e), 'docker'))]);
}

/** As cri-tools' images/build makes them: a manifest list with one entry per architecture. */
function multiArch(repository: string, tag: string, image: PlatformImage): TestImage {
  return indexImage(repository, tag, 'docker', [image, placeholderImage('docker', ARM64, image.runConfig)]);
}

/** The nginx stand-in (c/nginx.c) serving a page on `port`. */
function nginx(port: number): PlatformImage {
  return onBusybox({ Env: [PATH_ENV, `NGINX_PORT=${port}`], Cmd: ['nginx', '-g', 'daemon off;'], ExposedPorts: [`${port}/tcp`] }, [
    [
      file('usr/sbin/nginx', staticProgram('nginx'), 0o755),
      ...dirs(['usr/share', 'usr/share/nginx', 'usr/share/nginx/html']),
      file('usr/share/nginx/html/index.html', '<html><body><h1>Welcome to nginx!</h1></body></html>\n'),
    ],
  ]);
}

/** images/image-user: busybox with USER set. */
function withUser(user: string): PlatformImage {
  return onBusybox({ ...SH, User: user });
}

/** images/image-test: busybox plus an empty file named after the build argument. */
function withFile(name: string): PlatformImage {
  return onBusybox(SH, [[file(name, '')]]);
}

function predefinedGroup(): PlatformImage {
  const users: User[] = [...BASE_USERS, { name: 'default-user', uid: 1000, gid: 1000, home: '/home/default-user' }];
  const groups: Group[] = [
    ...BASE_GROUPS,
    { name: 'default-user', gid: 1000 },
    { name: 'group-defined-in-image', gid: 50000, members: ['default-user'] },
  ];
  const etc = busyboxRoot(users, groups).filter((e) => e.path === 'etc/passwd' || e.path === 'etc/group');
  return onBusybox({ ...SH, User: '1000' }, [
    [...dirs(['etc', 'home']), ...etc, { type: 'dir', path: 'home/default-user', mode: 0o755, uid: 1000, gid: 1000 }],
  ]);
}

/** Every image critest v1.34.0 pulls on linux/amd64, by its path under the mirrored registries. */
export function critestImages(): TestImage[] {
  const sameImage = withFile('same-image');
  return [
    singleImage(`${E2E}/busybox`, '1.29-2', onBusybox(SH)),
    singleImage(`${E2E}/nginx`, '1.14-2', nginx(80)),
    singleImage(
      `${E2E}/httpd`,
      '2.4.39-4',
      // Apache logs a line naming httpd to stderr as it starts (critest's container-log spec looks for it); busybox httpd is silent.
      onBusybox({
        Env: [PATH_ENV],
        Cmd: ['sh', '-c', 'echo "httpd: serving /usr/local/apache2/htdocs on port 80" >&2; exec httpd -f -p 80 -h /usr/local/apache2/htdocs'],
        ExposedPorts: ['80/tcp'],
      }, [
        [
          ...dirs(['usr/local', 'usr/local/apache2', 'usr/local/apache2/htdocs']),
          file('usr/local/apache2/htdocs/index.html', '<html><body><h1>It works!</h1></body></html>\n'),
        ],
      ]),
    ),
    singleImage(
      `${E2E}/nonewprivs`,
      '1.3',
      onBusybox({ Env: [PATH_ENV], Entrypoint: ['/usr/local/bin/nnp'] }, [
        [...dirs(['usr/local', 'usr/local/bin']), file('usr/local/bin/nnp', staticProgram('nnp'), 0o4755)],
      ]),
    ),
    // The per-architecture image, as critest names it (hostnet-nginx-<GOARCH>).
    singleImage(`${CRI_TOOLS}/hostnet-nginx-amd64`, 'latest', nginx(12003)),
    multiArch(`${CRI_TOOLS}/test-image-user-uid`, 'latest', withUser('1002')),
    multiArch(`${CRI_TOOLS}/test-image-user-username`, 'latest', withUser('www-data')),
    multiArch(`${CRI_TOOLS}/test-image-user-uid-group`, 'latest', withUser('1003:1004')),
    multiArch(`${CRI_TOOLS}/test-image-user-username-group`, 'latest', withUser('www-data:1004')),
    multiArch(`${CRI_TOOLS}/test-image-predefined-group`, 'latest', predefinedGroup()),
    ...['test-image-1', 'test-image-2', 'test-image-3', 'test-image-latest', 'test-image-digest'].map((n) =>
      multiArch(`${CRI_TOOLS}/${n}`, 'latest', withFile(n)),
    ),
    ...['1', '2', '3'].map((tag) => multiArch(`${CRI_TOOLS}/test-image-tags`, tag, sameImage)),
    ...['test', 'all'].map((tag) => multiArch(`${CRI_TOOLS}/test-image-tag`, tag, withFile(tag))),
  ];
}
