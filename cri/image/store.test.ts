import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageInUseError, ImageNotFoundError, ImageStore, PullError, chainIds } from './store';
import { FakeRegistry, rawTar, scratch, sha256, type BuiltImage } from './testkit';

const L1 = rawTar([{ name: 'bin', type: '5', mode: 0o755 }, { name: 'bin/hello', data: 'hello v1\n', mode: 0o755 }, { name: 'etc', type: '5', mode: 0o755 }, { name: 'etc/gone', data: 'x' }]);
const L2 = rawTar([{ name: 'etc/.wh.gone', data: '' }, { name: 'etc/motd', data: 'welcome\n' }]);
const ARM = rawTar([{ name: 'arch', data: 'arm64\n' }]);
const RUN = { Env: ['PATH=/bin'], Cmd: ['/bin/hello'], WorkingDir: '/', User: '1000:1000', Labels: { a: 'b' }, ExposedPorts: { '80/tcp': {} }, StopSignal: 'SIGTERM', Volumes: { '/data': {} } };

function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const n of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel === '' ? n : `${rel}/${n}`;
      const st = fs.lstatSync(path.join(root, r));
      out[r] = st.isDirectory() ? 'dir' : fs.readFileSync(path.join(root, r), 'utf8');
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

describe('cri/image store', () => {
  let reg: FakeRegistry;
  let dir: string;
  let store: ImageStore;
  let img: BuiltImage;
  let name: string;
  const log: string[] = [];
  const open = (extra: Partial<ConstructorParameters<typeof ImageStore>[0]> = {}) => new ImageStore({ root: path.join(dir, 'store'), log: (m) => log.push(m), ...extra });

  beforeEach(async () => {
    reg = new FakeRegistry();
    await reg.start();
    dir = scratch('store');
    store = open();
    img = reg.addImage('tsvisor/hello', '1.0', { layers: [L1, L2], runConfig: RUN });
    name = `${reg.host}/tsvisor/hello`;
    log.length = 0;
  });
  afterEach(async () => {
    await reg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Nothing visible and no work files left. */
  function assertNothingVisible(): void {
    assert.deepEqual(store.list(), []);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'store', 'tmp')), []);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'store', 'unpacked')), []);
  }

  it('pulls an OCI image over HTTP from a localhost registry: record, unpacked root and blobs', async () => {
    const rec = await store.pull(`${name}:1.0`);
    assert.deepEqual(rec, {
      id: img.configDigest,
      repoTags: [`${name}:1.0`],
      repoDigests: [`${name}@${img.manifestDigest}`],
      size: img.layerSizes[0] + img.layerSizes[1],
      config: RUN,
      pinned: false,
    });
    const root = store.rootfs(rec.id);
    assert.equal(root, path.join(dir, 'store', 'unpacked', chainIds([sha256(L1), sha256(L2)])[1].slice(7)));
    assert.deepEqual(tree(root), { bin: 'dir', 'bin/hello': 'hello v1\n', etc: 'dir', 'etc/motd': 'welcome\n' });
    for (const d of [img.configDigest, img.manifestDigest, ...img.layerDigests]) {
      assert.ok(fs.existsSync(path.join(dir, 'store', 'blobs', 'sha256', d.slice(7))), d);
    }
    assert.deepEqual(store.list(), [rec]);
    // The HTTPS probe failed (the fake speaks HTTP) and was not repeated.
    assert.equal(reg.count('/v2/'), 4);
  });

  it('pulls images named under a mirrored registry from the mirror, keeping their names', async () => {
    fs.rmSync(path.join(dir, 'store'), { recursive: true });
    store = open({ mirrors: { 'registry.k8s.io': `http://${reg.host}`, 'docker.io': `http://${reg.host}/` } });
    const hub = reg.addImage('library/busybox', 'latest', { layers: [L1] });
    const rec = await store.pull('registry.k8s.io/tsvisor/hello:1.0');
    assert.equal(rec.id, img.configDigest);
    assert.deepEqual(rec.repoTags, ['registry.k8s.io/tsvisor/hello:1.0']);
    assert.deepEqual(rec.repoDigests, [`registry.k8s.io/tsvisor/hello@${img.manifestDigest}`]);
    assert.equal(store.get('registry.k8s.io/tsvisor/hello:1.0')?.id, img.configDigest);
    assert.equal(store.get(`${name}:1.0`), undefined, 'the mirror\'s own name is not a tag');
    const short = await store.pull('busybox');
    assert.equal(short.id, hub.configDigest);
    assert.deepEqual(short.repoTags, ['docker.io/library/busybox:latest']);
    // The mirror URL names the scheme: no HTTPS probe of /v2/.
    assert.equal(reg.requests.filter((r) => r.url === '/v2/').length, 0);
    assert.deepEqual(reg.requests.map((r) => r.url.split('/').slice(0, 4).join('/')).filter((u, i, a) => a.indexOf(u) === i).sort(), [
      '/v2/library/busybox',
      '/v2/tsvisor/hello',
    ]);
  });

  it('refuses a bad mirror URL before touching the store', () => {
    const root = path.join(dir, 'bad-mirror');
    assert.throws(() => new ImageStore({ root, mirrors: { 'gcr.io': 'ftp://x' } }), (e: Error) => e instanceof PullError && e.message === 'invalid registry mirror URL "ftp://x": unsupported scheme ftp');
    assert.equal(fs.existsSync(root), false);
  });

  it('selects linux/amd64 from a Docker manifest list and an OCI index', async () => {
    for (const format of ['docker', 'oci'] as const) {
      const amd = reg.addImage('multi', undefined, { layers: [L1], format });
      const arm = reg.addImage('multi', undefined, { layers: [ARM], format, architecture: 'arm64' });
      const v2 = reg.addImage('multi', undefined, { layers: [ARM], format });
      const index = reg.addIndex('multi', format, format, [{ image: arm, architecture: 'arm64' }, { image: v2, architecture: 'amd64', variant: 'v2' }, { image: amd, architecture: 'amd64' }]);
      const rec = await store.pull(`${reg.host}/multi:${format}`);
      assert.equal(rec.id, amd.configDigest);
      // Both formats carry the same config, so they are one image with two repo digests.
      assert.equal(rec.repoDigests.at(-1), `${reg.host}/multi@${index}`);
      assert.equal(tree(store.rootfs(rec.id))['bin/hello'], 'hello v1\n');
    }
    const onlyArm = reg.addImage('arm', undefined, { layers: [ARM], architecture: 'arm64' });
    reg.addIndex('arm', 'latest', 'oci', [{ image: onlyArm, architecture: 'arm64' }]);
    await assert.rejects(store.pull(`${reg.host}/arm`), /no linux\/amd64 image in the index \(it has: linux\/arm64\)/);
  });

  it('pulls by digest and finds images by id, id prefix, tag and digest', async () => {
    const byDigest = await store.pull(`${name}@${img.manifestDigest}`);
    assert.deepEqual(byDigest.repoTags, []);
    const rec = await store.pull(`${name}:1.0`);
    assert.deepEqual(rec.repoTags, [`${name}:1.0`]);
    assert.equal(store.list().length, 1);
    for (const ref of [rec.id, rec.id.slice(7), rec.id.slice(7, 19), `${name}:1.0`, `${name}@${img.manifestDigest}`]) {
      assert.equal(store.get(ref)?.id, rec.id, ref);
    }
    assert.equal(store.get(rec.id.slice(7, 18)), undefined); // 11 digits: too short for a prefix
    assert.equal(store.get(`${name}:2.0`), undefined);
    assert.equal(store.get('Not A Ref'), undefined);
  });

  it('answers basic auth from username/password and from the base64 auth field', async () => {
    reg.auth = { kind: 'basic', user: 'u', password: 'p' };
    await assert.rejects(store.pull(`${name}:1.0`), (e: Error) => e instanceof PullError && /requires authentication and no credentials/.test(e.message));
    await assert.rejects(store.pull(`${name}:1.0`, { username: 'u', password: 'wrong' }), /401 Unauthorized \(authentication required or credentials rejected\) — UNAUTHORIZED: authentication required/);
    assert.equal((await store.pull(`${name}:1.0`, { username: 'u', password: 'p' })).id, img.configDigest);
    fs.rmSync(path.join(dir, 'store'), { recursive: true });
    store = open();
    assert.equal((await store.pull(`${name}:1.0`, { auth: Buffer.from('u:p').toString('base64') })).id, img.configDigest);
  });

  it('answers bearer challenges with a token from the realm, and uses registry_token as is', async () => {
    reg.auth = { kind: 'bearer', user: 'u', password: 'p' };
    await assert.rejects(store.pull(`${name}:1.0`), /token service 127\.0\.0\.1:\d+ refused: 401/);
    const rec = await store.pull(`${name}:1.0`, { username: 'u', password: 'p' });
    assert.equal(rec.id, img.configDigest);
    const tokenReq = reg.requests.filter((r) => r.url.startsWith('/token')).pop()!;
    assert.match(tokenReq.url, /service=fake-registry&scope=repository%3Atsvisor%2Fhello%3Apull/);
    // One token serves the manifest and every blob.
    assert.equal(reg.requests.filter((r) => r.url.startsWith('/token')).length, 2);

    fs.rmSync(path.join(dir, 'store'), { recursive: true });
    store = open();
    reg.grant('preset');
    const before = reg.requests.length;
    await store.pull(`${name}:1.0`, { registry_token: 'preset' });
    assert.ok(reg.requests.slice(before).every((r) => r.url.startsWith('/v2/') && (r.url === '/v2/' || r.authorization === 'Bearer preset')));
  });

  it('follows blob redirects to another host without sending it the registry credentials', async () => {
    reg.auth = { kind: 'bearer', user: 'u', password: 'p' };
    reg.redirectBlobs = true;
    const rec = await store.pull(`${name}:1.0`, { username: 'u', password: 'p' });
    assert.equal(tree(store.rootfs(rec.id))['etc/motd'], 'welcome\n');
    assert.equal(reg.count('/storage/'), 3);
    assert.ok(reg.requests.filter((r) => r.url.startsWith('/storage/')).every((r) => r.authorization === undefined));
  });

  it('refuses a corrupted blob: nothing visible, no temporary file, no bad blob kept', async () => {
    reg.corrupt.add(img.layerDigests[1]);
    await assert.rejects(store.pull(`${name}:1.0`), (e: Error) => e instanceof PullError && e.message.includes(`blob ${img.layerDigests[1]} failed verification`));
    assertNothingVisible();
    assert.equal(fs.existsSync(path.join(dir, 'store', 'blobs', 'sha256', img.layerDigests[1].slice(7))), false);
    // Verified blobs of the failed pull are collected too.
    assert.deepEqual(fs.readdirSync(path.join(dir, 'store', 'blobs', 'sha256')), []);
    reg.corrupt.clear();
    assert.equal((await store.pull(`${name}:1.0`)).id, img.configDigest);
  });

  it('refuses a manifest whose digest does not match, schema 1, wrong media types and oversized manifests', async () => {
    const other = sha256('other');
    reg.manifests.set(`tsvisor/hello@${other}`, { body: img.manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    await assert.rejects(store.pull(`${name}@${other}`), /failed verification: its content has digest/);
    reg.addManifest('s1', 'latest', Buffer.from('{"schemaVersion":1,"name":"s1","fsLayers":[]}'), 'application/vnd.docker.distribution.manifest.v1+prettyjws');
    await assert.rejects(store.pull(`${reg.host}/s1`), /Docker schema 1 manifests are not supported/);
    const helm = JSON.parse(img.manifest.toString());
    helm.config.mediaType = 'application/vnd.cncf.helm.config.v1+json';
    reg.addManifest('helm', 'latest', Buffer.from(JSON.stringify(helm)), 'application/vnd.oci.image.manifest.v1+json');
    await assert.rejects(store.pull(`${reg.host}/helm`), /config has media type application\/vnd\.cncf\.helm\.config\.v1\+json: not a container image/);
    reg.addManifest('mismatch', 'latest', img.manifest, 'application/vnd.docker.distribution.manifest.v2+json');
    await assert.rejects(store.pull(`${reg.host}/mismatch`), /media type mismatch/);
    const zstd = JSON.parse(img.manifest.toString());
    zstd.layers[0].mediaType = 'application/vnd.oci.image.layer.v1.tar+zstd';
    reg.addManifest('zstd', 'latest', Buffer.from(JSON.stringify(zstd)), 'application/vnd.oci.image.manifest.v1+json');
    await assert.rejects(store.pull(`${reg.host}/zstd`), /zstd-compressed, which is not supported/);
    const small = open({ maxManifestBytes: 100 });
    await assert.rejects(small.pull(`${name}:1.0`), /over the limit of 100/);
    await assert.rejects(store.pull(`${name}:nope`), /404 Not Found \(not found\) — MANIFEST_UNKNOWN: manifest unknown/);
    await assert.rejects(store.pull('lower/UPPER'), /repository name must be lowercase/);
    assertNothingVisible();
  });

  it('refuses a layer whose content does not match its diff ID, and hostile layers, leaving nothing', async () => {
    reg.addImage('bad', 'diffid', { layers: [L1], diffIds: [sha256('not it')] });
    await assert.rejects(store.pull(`${reg.host}/bad:diffid`), /layer 0 \(sha256:[0-9a-f]+\): layer content does not match its diff ID/);
    reg.addImage('bad', 'escape', { layers: [rawTar([{ name: 'esc', type: '2', linkname: '../../../..' }]), rawTar([{ name: 'esc/pwned', data: 'x' }])] });
    await assert.rejects(store.pull(`${reg.host}/bad:escape`), /layer 1 .*"esc\/pwned": path "esc" escapes the image root through a symlink/);
    reg.addImage('bad', 'count', { layers: [L1], diffIds: [sha256(L1), sha256(L2)] });
    await assert.rejects(store.pull(`${reg.host}/bad:count`), /manifest has 1 layers but the config lists 2 diff IDs/);
    assertNothingVisible();
    assert.equal(fs.existsSync(path.join(dir, 'pwned')), false);
    // Blobs of failed pulls are collected.
    assert.deepEqual(fs.readdirSync(path.join(dir, 'store', 'blobs', 'sha256')), []);
  });

  it('de-duplicates concurrent pulls of one reference and shares roots between images with the same layers', async () => {
    const [a, b] = await Promise.all([store.pull(`${name}:1.0`), store.pull(`${name}:1.0`)]);
    assert.deepEqual(a, b);
    assert.equal(reg.count(`/blobs/${img.layerDigests[0]}`), 1);
    const twin = reg.addImage('twin', 'latest', { layers: [L1, L2], runConfig: { Cmd: ['other'] } });
    const t = await store.pull(`${reg.host}/twin`);
    assert.equal(t.id, twin.configDigest);
    assert.equal(store.rootfs(t.id), store.rootfs(a.id));
    assert.equal(fs.readdirSync(path.join(dir, 'store', 'unpacked')).length, 1);
  });

  it('moves a tag to the newly pulled image', async () => {
    const old = await store.pull(`${name}:1.0`);
    const next = reg.addImage('tsvisor/hello', '1.0', { layers: [L1] });
    await store.pull(`${name}:1.0`);
    assert.deepEqual(store.get(old.id)?.repoTags, []);
    assert.deepEqual(store.get(`${name}:1.0`)?.id, next.configDigest);
  });

  it('removes a tag, then the image with its unreferenced content; refuses while in use', async () => {
    reg.addManifest('tsvisor/hello', '2.0', img.manifest, 'application/vnd.oci.image.manifest.v1+json');
    const rec = await store.pull(`${name}:1.0`);
    await store.pull(`${name}:2.0`);
    store.remove(`${name}:1.0`);
    assert.deepEqual(store.get(rec.id)?.repoTags, [`${name}:2.0`]);
    let used = true;
    store.setInUse((id) => used && id === rec.id);
    assert.throws(() => store.remove(`${name}:2.0`), ImageInUseError);
    assert.deepEqual(store.get(rec.id)?.repoTags, [`${name}:2.0`]);
    used = false;
    store.remove(`${name}:2.0`);
    assert.deepEqual(store.list(), []);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'store', 'blobs', 'sha256')), []);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'store', 'unpacked')), []);
    assert.throws(() => store.remove(`${name}:2.0`), ImageNotFoundError);
    assert.throws(() => store.rootfs(rec.id), ImageNotFoundError);
  });

  it('keeps content shared with another image when one is removed by id', async () => {
    const a = await store.pull(`${name}:1.0`);
    reg.addImage('twin', 'latest', { layers: [L1, L2], runConfig: { Cmd: ['other'] } });
    const b = await store.pull(`${reg.host}/twin`);
    store.remove(a.id);
    assert.deepEqual(store.list().map((i) => i.id), [b.id]);
    assert.equal(tree(store.rootfs(b.id))['etc/motd'], 'welcome\n');
  });

  it('reloads its images after a restart and collects what an interrupted pull left', async () => {
    const rec = await store.pull(`${name}:1.0`);
    const storeDir = path.join(dir, 'store');
    // What a crash mid-pull leaves: a temporary file, a half-unpacked root, an unreferenced blob.
    fs.writeFileSync(path.join(storeDir, 'tmp', 'blob-partial'), 'x');
    fs.mkdirSync(path.join(storeDir, 'unpacked', 'f'.repeat(64)));
    fs.writeFileSync(path.join(storeDir, 'blobs', 'sha256', 'e'.repeat(64)), 'x');
    const again = open();
    assert.deepEqual(again.list(), [rec]);
    assert.deepEqual(tree(again.rootfs(rec.id))['bin/hello'], 'hello v1\n');
    assert.deepEqual(fs.readdirSync(path.join(storeDir, 'tmp')), []);
    assert.equal(fs.existsSync(path.join(storeDir, 'unpacked', 'f'.repeat(64))), false);
    assert.equal(fs.existsSync(path.join(storeDir, 'blobs', 'sha256', 'e'.repeat(64))), false);
    // A record whose root vanished is dropped, with a log line.
    fs.rmSync(again.rootfs(rec.id), { recursive: true });
    assert.deepEqual(open().list(), []);
    assert.match(log.join('\n'), /dropping image sha256:[0-9a-f]+ \(.*:1\.0\): unpacked root .* is missing/);
  });

  it('refuses an images.json of another version', () => {
    fs.writeFileSync(path.join(dir, 'store', 'images.json'), '{"version":99,"images":[]}');
    assert.throws(() => open(), /has version 99, this store reads version 1/);
  });

  it('reports the file system usage of the store', async () => {
    const empty = store.fsInfo();
    await store.pull(`${name}:1.0`);
    const info = store.fsInfo();
    assert.equal(info.mountpoint, path.join(dir, 'store'));
    assert.ok(info.usedBytes > empty.usedBytes);
    // 4 blobs (config, manifest, 2 layers), the root with bin, bin/hello, etc, etc/motd, and images.json.
    assert.equal(info.inodesUsed - empty.inodesUsed, 4 + 5 + 1);
    assert.ok(info.timestampNs > 1_600_000_000_000_000_000n);
  });
});
