/**
 * Issue 5, acceptance 1: 20 MB over HTTP between a sandbox in namespace A
 * (which takes over A's veth) and real Linux programs in namespace B, both
 * directions, checked by sha256.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkNoLeaks, freshDir } from '../syscalls/harness';
import { labPerTest, twoHosts } from './netns';
import { curlArgv, httpServerArgv, randomFile, rate, sha256File, waitForTcp } from './peer';
import { sandboxExec, SandboxServer, takenOver, unsupportedSyscalls } from './sandbox';

const SIZE = 20 << 20;

describe('e2e/network: HTTP between a sandbox and another namespace', function () {
  this.timeout(120_000);
  const lab = labPerTest();
  checkNoLeaks();

  it('python3 -m http.server in the sandbox serves 20 MB to curl in B', async () => {
    const net = twoHosts(lab());
    const file = randomFile(SIZE);
    const server = await SandboxServer.start(lab(), net.a, httpServerArgv(net.addrA, 8000, file.dir));
    await waitForTcp(lab(), net.b, net.addrA, 8000);
    const out = join(freshDir('dl'), 'got');
    const t0 = Date.now();
    const r = await lab().exec(net.b, curlArgv(`http://${net.addrA}:8000/${file.name}`, out));
    const ms = Date.now() - t0;
    assert.equal(r.code, 0, `curl: ${r.stderr}\n${server.describe()}`);
    assert.equal(sha256File(out), file.sha256);
    console.log(`      20 MB sandbox → B in ${ms} ms (${rate(SIZE, ms)})`);
    assert.ok(server.alive, server.describe());
    const log = await server.stop();
    assert.deepEqual(unsupportedSyscalls(log), []);
  });

  it('curl in the sandbox downloads 20 MB from python3 -m http.server in B', async () => {
    const net = twoHosts(lab());
    const file = randomFile(SIZE);
    lab().spawn(net.b, httpServerArgv(net.addrB, 8000, file.dir));
    await waitForTcp(lab(), net.b, net.addrB, 8000);
    const t0 = Date.now();
    // The sandbox's writes stay in its overlay: hash the download inside.
    const script = `${curlArgv(`http://${net.addrB}:8000/${file.name}`, '/tmp/got').join(' ')} && sha256sum /tmp/got`;
    const r = await sandboxExec(lab(), net.a, ['/bin/sh', '-c', script]);
    const ms = Date.now() - t0;
    assert.equal(r.code, 0, `curl in the sandbox: ${r.stderr}\n${r.log}`);
    assert.equal(r.stdout, `${file.sha256}  /tmp/got\n`);
    // It went through the sandbox's stack on A's veth, not through A's host stack.
    assert.match(r.log, takenOver(net.addrA));
    console.log(`      20 MB B → sandbox in ${ms} ms incl. sandbox start (${rate(SIZE, ms)})`);
    assert.deepEqual(unsupportedSyscalls(r.log), []);
  });
});
