// The CRI test infrastructure itself: image builder, registry variants, the
// layers image's expected tree, critest's image list, crictl and containerd.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { httpRequest, RegistryClient } from '../images/client';
import { CRITEST_MIRRORED_REGISTRIES, CRITEST_TEST_IMAGES, critestImages, critestImagesYaml } from '../images/critest';
import { MEDIA_TYPES, sha256, TestImage } from '../images/oci';
import { freePort, TEST_PASSWORD, TEST_USER } from '../images/registry';
import { assertLayersExpectation, tsvisorTestImages } from '../images/testimages';
import { freshDir } from '../syscalls/harness';
import { crictl, processesMentioning, PushedRegistry, startContainerd, startRegistry, testImages, withPushedImages } from './harness';
import { CRI_TOOLS_VERSION } from './tools';

/** Fetches everything `img` names back from the registry and checks every digest and size. */
async function verifyPulled(client: RegistryClient, img: TestImage): Promise<void> {
  const get = async (p: string, accept?: string) => {
    const res = await client.request(p, { headers: accept ? { Accept: accept } : {} });
    assert.equal(res.status, 200, `GET ${p}: HTTP ${res.status} ${res.body.toString()}`);
    return res;
  };
  const top = await get(`/v2/${img.repository}/manifests/${img.tag}`, img.manifest.mediaType);
  assert.equal(top.headers['content-type'], img.manifest.mediaType);
  assert.equal(top.headers['docker-content-digest'], img.manifest.digest);
  assert.equal(sha256(top.body), img.manifest.digest);
  for (const i of img.images) {
    const m = await get(`/v2/${img.repository}/manifests/${i.manifest.digest}`, i.manifest.mediaType);
    assert.equal(sha256(m.body), i.manifest.digest);
    const manifest = JSON.parse(m.body.toString()) as { config: { digest: string; size: number }; layers: { digest: string; size: number }[] };
    const config = await get(`/v2/${img.repository}/blobs/${manifest.config.digest}`);
    assert.equal(sha256(config.body), manifest.config.digest);
    assert.equal(config.body.length, manifest.config.size);
    const parsed = JSON.parse(config.body.toString()) as { architecture: string; rootfs: { diff_ids: string[] } };
    assert.equal(parsed.architecture, i.platform.architecture);
    const diffIds: string[] = [];
    for (const l of manifest.layers) {
      const blob = await get(`/v2/${img.repository}/blobs/${l.digest}`);
      assert.equal(sha256(blob.body), l.digest);
      assert.equal(blob.body.length, l.size);
      diffIds.push(sha256(gunzipSync(blob.body)));
    }
    assert.deepEqual(parsed.rootfs.diff_ids, diffIds, `${img.repository}:${img.tag} diff_ids`);
  }
}

/**
 * The test's own reference unpacker: each layer's whiteouts hide what lower
 * layers hold, then GNU tar extracts the layer's other entries over them.
 */
function unpack(img: TestImage, prefix: string): string {
  const root = freshDir(prefix);
  fs.chmodSync(root, 0o755); // a container's / (mkdtemp made it 0700)
  for (const layer of img.images[0].layers) {
    const list = spawnSync('/usr/bin/tar', ['-tzf', '-'], { input: layer.blob.data, encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    for (const name of list.stdout.split('\n').filter(Boolean)) {
      const base = path.basename(name);
      const parent = path.join(root, path.dirname(name));
      if (base === '.wh..wh..opq') {
        for (const child of fs.readdirSync(parent)) fs.rmSync(path.join(parent, child), { recursive: true });
      } else if (base.startsWith('.wh.')) {
        fs.rmSync(path.join(parent, base.slice(4)), { recursive: true });
      }
    }
    const r = spawnSync('/usr/bin/tar', ['--numeric-owner', '-xpzf', '-', '-C', root, '--exclude=.wh.*'], { input: layer.blob.data });
    assert.equal(r.status, 0, r.stderr.toString());
  }
  return root;
}

describe('CRI test infrastructure', function () {
  this.timeout(180_000);

  describe('image builder', () => {
    it('is deterministic: a second build has the same digests', () => {
      const digests = (imgs: TestImage[]) => imgs.map((i) => `${i.repository}:${i.tag}@${i.manifest.digest}`);
      assert.deepEqual(digests(tsvisorTestImages()), digests(testImages().slice(0, tsvisorTestImages().length)));
    });

    it('gives each variant its manifest format and the multi-arch index linux/amd64 first, arm64 second', () => {
      const byName = (n: string) => testImages().find((i) => `${i.repository}:${i.tag}` === n)!;
      assert.equal(byName('tsvisor-test/busybox:1.0').manifest.mediaType, MEDIA_TYPES.oci.manifest);
      assert.equal(byName('tsvisor-test/busybox:docker-v2').manifest.mediaType, MEDIA_TYPES.docker.manifest);
      const index = JSON.parse(byName('tsvisor-test/busybox:multiarch').manifest.data.toString()) as {
        mediaType: string;
        manifests: { platform: { architecture: string; os: string } }[];
      };
      assert.equal(index.mediaType, MEDIA_TYPES.oci.index);
      assert.deepEqual(index.manifests.map((m) => m.platform), [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux' }]);
      // Same layer bytes under both formats: only the media type differs.
      assert.equal(byName('tsvisor-test/busybox:1.0').images[0].layers[0].blob.digest, byName('tsvisor-test/busybox:docker-v2').images[0].layers[0].blob.digest);
      const config = JSON.parse(byName('tsvisor-test/config:1.0').images[0].config.data.toString()) as { config: Record<string, unknown> };
      assert.deepEqual(config.config, {
        User: '1000',
        WorkingDir: '/work',
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'FOO=bar'],
        Entrypoint: ['/bin/sh', '-c'],
        Cmd: ['echo hello from $FOO in $(pwd) as $(id -u)'],
        Labels: { 'io.tsvisor.test': 'config' },
      });
    });

    it('tsvisor-test/busybox has the applets, accounts and /tmp mode the tests rely on', () => {
      const dir = freshDir('busybox-root');
      const layer = testImages().find((i) => i.repository === 'tsvisor-test/busybox' && i.tag === '1.0')!.images[0].layers[0];
      const r = spawnSync('/usr/bin/tar', ['--numeric-owner', '-xpzf', '-', '-C', dir], { input: layer.blob.data });
      assert.equal(r.status, 0, r.stderr.toString());
      for (const a of ['bin/sh', 'bin/ls', 'bin/cat', 'bin/echo', 'bin/sleep', 'usr/bin/env', 'usr/bin/id', 'usr/bin/wc', 'usr/bin/sha256sum', 'usr/bin/nc', 'usr/sbin/httpd', 'bin/hostname', 'bin/true', 'bin/false', 'bin/ps']) {
        assert.equal(fs.realpathSync(path.join(dir, a)), path.join(dir, 'bin/busybox'), a);
      }
      assert.match(fs.readFileSync(path.join(dir, 'etc/passwd'), 'utf8'), /^app:x:1000:1000:/m);
      assert.equal(fs.statSync(path.join(dir, 'tmp')).mode & 0o7777, 0o1777);
      // The image's shell really runs: busybox is static, so chroot needs nothing else.
      const out = spawnSync('/usr/sbin/chroot', [dir, '/bin/sh', '-c', 'id -u app; ls /usr/bin/id'], { encoding: 'utf8' });
      assert.equal(out.stdout, '1000\n/usr/bin/id\n', out.stderr);
    });

    it('the layers image unpacks (GNU tar + whiteouts applied by hand) to exactly layers-expected.json', () => {
      const root = unpack(testImages().find((i) => i.repository === 'tsvisor-test/layers')!, 'layers-root');
      assertLayersExpectation(root);
    });

    it("critest's nginx stand-in: master named nginx with 'master process' in its cmdline, pid file, HTTP 200, stops on SIGTERM", async () => {
      const root = unpack(testImages().find((i) => i.repository === 'k8s-staging-cri-tools/hostnet-nginx-amd64')!, 'nginx-root');
      const port = await freePort();
      const nginx = spawn('/usr/sbin/chroot', [root, 'nginx', '-g', 'daemon off;'], {
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', NGINX_PORT: String(port) },
        stdio: 'ignore',
      });
      try {
        const pidFile = path.join(root, 'var/run/nginx.pid');
        let body = '';
        for (let i = 0; i < 100 && body === ''; i++) {
          await new Promise((r) => setTimeout(r, 50));
          body = await httpRequest(`http://127.0.0.1:${port}/`).then((r) => (r.status === 200 ? r.body.toString() : ''), () => '');
        }
        assert.equal(body, '<html><body><h1>Welcome to nginx!</h1></body></html>\n');
        assert.equal(fs.readFileSync(pidFile, 'utf8'), `${nginx.pid}\n`, 'the pid file names the master (chroot execs it)');
        assert.equal(fs.readFileSync(`/proc/${nginx.pid}/comm`, 'utf8'), 'nginx\n');
        assert.equal(fs.readFileSync(`/proc/${nginx.pid}/cmdline`, 'utf8'), 'nginx: master process nginx -g daemon off;\0');
        const exited = new Promise((r) => nginx.once('exit', r));
        nginx.kill('SIGTERM');
        await exited;
        assert.deepEqual(processesMentioning([`-p ${port} `]), [], 'the httpd worker stopped with its master');
      } finally {
        nginx.kill('SIGKILL');
      }
    });

    it("critest's nonewprivs probe is setuid root: euid 0 normally, the caller's uid under no_new_privs", () => {
      const root = unpack(testImages().find((i) => i.repository === 'e2e-test-images/nonewprivs')!, 'nnp-root');
      const normal = spawnSync('/usr/sbin/chroot', ['--userspec=1000:1000', root, '/usr/local/bin/nnp'], { encoding: 'utf8' });
      assert.equal(normal.stdout, 'Effective uid: 0\n', normal.stderr);
      const nnp = spawnSync('/usr/bin/setpriv', ['--no-new-privs', '/usr/sbin/chroot', '--userspec=1000:1000', root, '/usr/local/bin/nnp'], { encoding: 'utf8' });
      assert.equal(nnp.stdout, 'Effective uid: 1000\n', nnp.stderr);
    });

    it('critest images: the YAML names pushed images, and every image lives under a mirrored registry path', () => {
      assert.deepEqual(parse(critestImagesYaml()), CRITEST_TEST_IMAGES);
      const pushed = new Set(critestImages().map((i) => `${i.repository}:${i.tag}`));
      for (const ref of Object.values(CRITEST_TEST_IMAGES)) {
        const [registry, ...rest] = ref.split('/');
        assert.ok((CRITEST_MIRRORED_REGISTRIES as readonly string[]).includes(registry), ref);
        assert.ok(pushed.has(rest.join('/')), `${ref} is built`);
      }
      const tags = critestImages().filter((i) => i.repository.endsWith('/test-image-tags'));
      assert.equal(new Set(tags.map((i) => i.manifest.digest)).size, 1, 'test-image-tags:1,2,3 are one image');
      const user = (repo: string) => (JSON.parse(critestImages().find((i) => i.repository.endsWith(repo))!.images[0].config.data.toString()) as { config: { User?: string } }).config.User;
      assert.equal(user('/test-image-user-uid-group'), '1003:1004');
      assert.equal(user('/test-image-user-username'), 'www-data');
    });
  });

  describe('registry', () => {
    let reg: PushedRegistry | undefined;
    after(async () => reg?.stop());

    it('plain HTTP: every pushed image reads back with matching digests, sizes and diff_ids', async () => {
      reg = await withPushedImages();
      const client = new RegistryClient(reg);
      for (const img of reg.images) await verifyPulled(client, img);
      const tags = await client.request('/v2/k8s-staging-cri-tools/test-image-tags/tags/list');
      assert.deepEqual((JSON.parse(tags.body.toString()) as { tags: string[] }).tags.sort(), ['1', '2', '3']);
    });

    it('stop() kills the registry and removes its folder', async () => {
      const r = await startRegistry();
      assert.equal(processesMentioning([r.dir]).length, 1);
      await r.stop();
      assert.deepEqual(processesMentioning([r.dir]), []);
      assert.equal(fs.existsSync(r.dir), false);
    });

    for (const auth of ['basic', 'token'] as const) {
      it(`HTTPS + ${auth} auth: anonymous and wrong credentials are refused, the right ones push and pull`, async () => {
        const r = await startRegistry({ auth });
        try {
          assert.equal(r.scheme, 'https');
          // The certificate is valid for both names, and only with the test CA.
          for (const host of [r.host, r.host.replace('127.0.0.1', 'localhost')]) {
            assert.equal((await httpRequest(`https://${host}/v2/`, { ca: r.ca })).status, 401);
          }
          await assert.rejects(httpRequest(`https://${r.host}/v2/`), /self[- ]signed|unable to verify|certificate/i);
          const anon = await httpRequest(`https://${r.host}/v2/tsvisor-test/busybox/tags/list`, { ca: r.ca });
          assert.equal(anon.status, 401);
          assert.match(String(anon.headers['www-authenticate']), auth === 'basic' ? /^Basic realm=/ : /^Bearer realm="https:\/\/127\.0\.0\.1:\d+\/token"/);
          const img = testImages().find((i) => i.repository === 'tsvisor-test/busybox' && i.tag === 'multiarch')!;
          await assert.rejects(new RegistryClient({ ...r, password: 'wrong' }).pushImage(img), /HTTP 401|token server .*401/);
          const client = new RegistryClient({ ...r, username: TEST_USER, password: TEST_PASSWORD });
          await client.pushImage(img);
          await verifyPulled(client, img);
        } finally {
          await r.stop();
        }
      });
    }
  });

  describe('reference containerd', () => {
    let reg: PushedRegistry | undefined;
    after(async () => reg?.stop());

    it('serves CRI on its own socket, pulls from the local registry and through the critest mirrors, and stops clean', async () => {
      reg = await withPushedImages();
      const ctd = await startContainerd({ registry: reg });
      try {
        const version = await crictl(ctd, ['version']);
        assert.equal(version.code, 0, version.stderr);
        assert.match(version.stdout, /^RuntimeName: +containerd$/m);
        for (const ref of [reg.ref('tsvisor-test/busybox:multiarch'), CRITEST_TEST_IMAGES.defaultTestContainerImage]) {
          const pull = await crictl(ctd, ['pull', ref]);
          assert.equal(pull.code, 0, pull.stderr);
        }
        const list = await crictl(ctd, ['images', '--digests', '-o', 'json']);
        const images = (JSON.parse(list.stdout) as { images: { repoDigests: string[] }[] }).images;
        const digests = images.flatMap((i) => i.repoDigests).sort();
        // The tag resolves to the index (multi-arch) or manifest digest the builder computed.
        assert.deepEqual(digests, [
          `${reg.host}/tsvisor-test/busybox@${reg.image('tsvisor-test/busybox:multiarch').manifest.digest}`,
          `registry.k8s.io/e2e-test-images/busybox@${reg.image('e2e-test-images/busybox:1.29-2').manifest.digest}`,
        ].sort());
      } finally {
        await ctd.stop();
      }
      assert.deepEqual(processesMentioning([ctd.dir]), []);
      assert.equal(fs.existsSync(ctd.dir), false);
    });
  });

  describe('tools', () => {
    it(`crictl is cri-tools ${CRI_TOOLS_VERSION}`, async () => {
      const r = await crictl('unix:///nonexistent.sock', ['--version']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `crictl version ${CRI_TOOLS_VERSION.slice(1)}\n`);
    });
  });
});
