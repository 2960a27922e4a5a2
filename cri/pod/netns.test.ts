import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createNetns, netnsExists, removeNetns } from './netns';
import { mountPoints } from './mountinfo';

function linksIn(nsPath: string): string[] {
  const out = execFileSync('nsenter', [`--net=${nsPath}`, 'ip', '-o', 'link', 'show'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split(': ')[1]);
}

describe('cri/pod/netns', () => {
  let stateDir: string;
  beforeEach(() => { stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-netns-')); });
  afterEach(async () => {
    for (const m of mountPoints().filter((p) => p.startsWith(stateDir)).reverse()) execFileSync('umount', ['-l', m]);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('creates a namespace holding only lo, and removes it idempotently', async () => {
    const p = await createNetns(stateDir, 'pod1');
    assert.equal(p, path.join(stateDir, 'netns', 'pod1'));
    assert.equal(netnsExists(p), true);
    assert.deepEqual(linksIn(p), ['lo']);
    // A different namespace from ours: the host's eth0 etc. are not in it.
    assert.notEqual(fs.readlinkSync('/proc/self/ns/net'), execFileSync('nsenter', [`--net=${p}`, 'readlink', '/proc/self/ns/net'], { encoding: 'utf8' }).trim());
    await removeNetns(p);
    assert.equal(netnsExists(p), false);
    assert.equal(fs.existsSync(p), false);
    assert.deepEqual(mountPoints().filter((m) => m.startsWith(stateDir)), []);
    await removeNetns(p); // again: a no-op
    await removeNetns(path.join(stateDir, 'netns', 'never-made'));
  });

  it('keeps the other namespaces mounted when one is removed', async () => {
    const [a, b] = await Promise.all([createNetns(stateDir, 'a'), createNetns(stateDir, 'b')]);
    await removeNetns(a);
    assert.equal(netnsExists(b), true);
    assert.deepEqual(linksIn(b), ['lo']);
    await removeNetns(b);
    assert.deepEqual(mountPoints().filter((m) => m.startsWith(stateDir)), []);
  });

  it('refuses unsafe names and a name already in use', async () => {
    for (const bad of ['', '.', '..', 'a/b', '../x']) {
      await assert.rejects(() => createNetns(stateDir, bad), /invalid network namespace name/);
    }
    const p = await createNetns(stateDir, 'dup');
    await assert.rejects(() => createNetns(stateDir, 'dup'), /already exists/);
    assert.equal(netnsExists(p), true);
    await removeNetns(p);
  });
});
