// tsvisor's image store against Debian's docker-registry: the test images of
// e2e/images pushed over the Distribution API, pulled by cri/image, and the
// unpacked roots checked against layers-expected.json and by running them.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageStore, PullError } from '../../cri/image/store';
import { pushAll } from '../images/client';
import type { TestImage } from '../images/oci';
import { TEST_PASSWORD, TEST_USER } from '../images/registry';
import { assertLayersExpectation, tsvisorTestImages } from '../images/testimages';
import { freshDir } from '../syscalls/harness';
import { startRegistry, type RunningRegistry } from './harness';

const NAMES = ['tsvisor-test/busybox:1.0', 'tsvisor-test/busybox:docker-v2', 'tsvisor-test/busybox:multiarch', 'tsvisor-test/busybox:multiarch-docker', 'tsvisor-test/layers:1.0', 'tsvisor-test/config:1.0'];

function images(names: string[]): TestImage[] {
  const all = tsvisorTestImages();
  return names.map((n) => all.find((i) => `${i.repository}:${i.tag}` === n)!);
}

/** The record the store must make of `img` pulled as host/repository:tag. */
function expectedRecord(reg: RunningRegistry, img: TestImage) {
  const amd64 = img.images[0];
  const name = `${reg.host}/${img.repository}`;
  return {
    id: amd64.config.digest,
    repoTags: [`${name}:${img.tag}`],
    repoDigests: [`${name}@${img.manifest.digest}`],
    size: amd64.layers.reduce((s, l) => s + l.blob.size, 0),
    config: (JSON.parse(amd64.config.data.toString()) as { config: object }).config,
    pinned: false,
  };
}

/** Runs `script` with the image root as / (its busybox is static). */
function inRoot(root: string, script: string): string {
  const r = spawnSync('/usr/sbin/chroot', [root, '/bin/sh', '-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('cri/image store against docker-registry', function () {
  this.timeout(180_000);

  describe('plain HTTP', () => {
    let reg: RunningRegistry;
    let dir: string;
    let store: ImageStore;
    before(async () => {
      reg = await startRegistry();
      await pushAll(reg, images(NAMES));
      dir = freshDir('image-store');
      store = new ImageStore({ root: path.join(dir, 'images'), log: () => {} });
    });
    after(async () => {
      await reg?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    for (const n of NAMES) {
      it(`pulls ${n} with the record containerd would report`, async () => {
        const [img] = images([n]);
        const rec = await store.pull(`${reg.host}/${n}`);
        const want = expectedRecord(reg, img);
        assert.equal(rec.id, want.id);
        assert.ok(rec.repoTags.includes(want.repoTags[0]));
        assert.ok(rec.repoDigests.includes(want.repoDigests[0]));
        assert.deepEqual([rec.size, rec.config, rec.pinned], [want.size, want.config, want.pinned]);
      });
    }

    it('the busybox image runs from its unpacked root (accounts, applets, /tmp)', () => {
      const root = store.rootfs(`${reg.host}/tsvisor-test/busybox:1.0`);
      assert.equal(inRoot(root, 'id -u app; stat -c %a /tmp; echo hi | sha256sum'), '1000\n1777\n98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4  -\n');
      // Every busybox tag and format is one image with one root.
      for (const tag of ['docker-v2', 'multiarch', 'multiarch-docker']) assert.equal(store.rootfs(`${reg.host}/tsvisor-test/busybox:${tag}`), root);
    });

    it('tsvisor-test/layers:1.0 unpacks to exactly layers-expected.json', () => {
      const root = store.rootfs(`${reg.host}/tsvisor-test/layers:1.0`);
      assertLayersExpectation(root);
    });

    it('a restarted store lists the same images and serves the same roots', () => {
      const again = new ImageStore({ root: path.join(dir, 'images'), log: () => {} });
      assert.deepEqual(again.list(), store.list());
      assert.equal(inRoot(again.rootfs(`${reg.host}/tsvisor-test/config:1.0`), 'ls -nd /work'), inRoot(store.rootfs(`${reg.host}/tsvisor-test/config:1.0`), 'ls -nd /work'));
    });

    it('removes images and their content', () => {
      for (const rec of store.list()) store.remove(rec.id);
      assert.deepEqual(store.list(), []);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'images', 'unpacked')), []);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'images', 'blobs', 'sha256')), []);
    });
  });

  for (const auth of ['basic', 'token'] as const) {
    it(`HTTPS + ${auth} auth: the CA file and credentials are needed and enough`, async () => {
      const reg = await startRegistry({ auth });
      const dir = freshDir(`image-store-${auth}`);
      try {
        const [img] = images(['tsvisor-test/busybox:multiarch']);
        await pushAll(reg, [img]);
        const ref = `${reg.host}/${img.repository}:${img.tag}`;
        const noCa = new ImageStore({ root: path.join(dir, 'no-ca'), log: () => {} });
        await assert.rejects(noCa.pull(ref, { username: TEST_USER, password: TEST_PASSWORD }), (e: Error) => e instanceof PullError && /certificate/i.test(e.message));
        const store = new ImageStore({ root: path.join(dir, 'images'), caFile: reg.caFile, log: () => {} });
        await assert.rejects(store.pull(ref), PullError);
        await assert.rejects(store.pull(ref, { username: TEST_USER, password: 'wrong' }), PullError);
        assert.deepEqual(store.list(), []);
        const rec = await store.pull(ref, { username: TEST_USER, password: TEST_PASSWORD });
        assert.deepEqual(rec, expectedRecord(reg, img));
        assert.equal(inRoot(store.rootfs(rec.id), 'id -u app'), '1000\n');
      } finally {
        await reg.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
