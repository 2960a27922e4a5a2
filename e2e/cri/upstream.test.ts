/**
 * Issue 4, acceptance 3: `tsvisor cri --upstream` in front of Debian's
 * containerd. A default-handler pod runs in containerd (runc) and a `gvisor`
 * pod in tsvisor, both managed through tsvisor's socket only: listing shows
 * both with their handler, and every call naming a pod or container reaches
 * the side that owns it (checked against containerd's own view).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cniConflist, type Containerd, crictl, type CriServer, type PushedRegistry, run, startContainerd, startCriServer, withPushedImages } from './harness';
import { freshDir } from '../syscalls/harness';

interface PodListing {
  items: { id: string; metadata: { name: string }; runtimeHandler: string; state: string }[];
}
interface ContainerListing {
  containers: { id: string; podSandboxId: string; metadata: { name: string }; state: string }[];
}

describe('tsvisor cri with containerd as --upstream', function () {
  this.timeout(180_000);
  let reg: PushedRegistry;
  let ctd: Containerd;
  let cri: CriServer;
  let dir: string;
  const bridge = `tsvup${process.pid % 200}`;
  let busybox = '';
  const pods = { runc: '', gvisor: '' };
  const ctrs = { runc: '', gvisor: '' };

  async function ok(server: { endpoint: string }, args: string[], input?: string): Promise<string> {
    const r = await crictl(server, args, { input });
    assert.equal(r.code, 0, `crictl ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  function writeJson(name: string, v: object): string {
    const p = path.join(dir, name);
    fs.writeFileSync(p, JSON.stringify(v));
    return p;
  }

  const podConfig = (name: string): string =>
    writeJson(`pod-${name}.json`, { metadata: { name, namespace: 'e2e-upstream', uid: `uid-${name}`, attempt: 0 }, hostname: `${name}-host`, log_directory: path.join(dir, 'logs', name), linux: {} });

  before(async () => {
    dir = freshDir('cri-upstream');
    const netDir = path.join(dir, 'net.d');
    fs.mkdirSync(netDir);
    const slot = process.pid % 200;
    fs.writeFileSync(path.join(netDir, '10-tsvisor.conflist'), cniConflist('tsvisor-e2e', bridge, `10.239.${slot}.0/24`, path.join(dir, 'ipam')));
    reg = await withPushedImages();
    ctd = await startContainerd({ registry: reg });
    cri = await startCriServer({ upstream: ctd.endpoint, args: ['--cni-conf-dir', netDir, '--insecure-registries', reg.host] });
    busybox = reg.ref('tsvisor-test/busybox:1.0');
  });

  after(async () => {
    for (const id of [pods.runc, pods.gvisor]) if (cri && id) await crictl(cri, ['rmp', '-f', id]);
    await cri?.stop();
    await ctd?.stop();
    await reg?.stop();
    await run('ip', ['link', 'delete', bridge]); // CNI leaves its bridge after the last pod
  });

  it('answers version itself and reports both runtimes in info', async () => {
    assert.match(await ok(cri, ['version']), /^RuntimeName: {2}tsvisor$/m);
    const info = JSON.parse(await ok(cri, ['info'])) as {
      status: { conditions: { type: string; status: boolean }[] };
      runtimeHandlers: { name?: string }[];
      'upstream.config'?: { containerd?: { runtimes?: Record<string, unknown> } };
    };
    assert.deepEqual(info.status.conditions.map((c) => [c.type, c.status]), [['RuntimeReady', true], ['NetworkReady', true]]);
    assert.ok(info.runtimeHandlers.some((h) => h.name === 'gvisor'), JSON.stringify(info.runtimeHandlers));
    assert.ok(info['upstream.config']?.containerd?.runtimes?.runc, "containerd's verbose info, under upstream.");
  });

  it('pulls a handler-less image into both stores and lists it once', async () => {
    await ok(cri, ['pull', busybox]);
    const theirs = JSON.parse(await ok(ctd, ['inspecti', busybox])) as { status: { id: string; repoTags: string[] } };
    assert.deepEqual(theirs.status.repoTags, [busybox]);
    const listed = (JSON.parse(await ok(cri, ['images', '-o', 'json'])) as { images: { id: string; repoTags: string[] }[] }).images;
    // Both stores name the image by its config digest, so the merged list has it once.
    assert.deepEqual(listed.filter((i) => i.repoTags.includes(busybox)).map((i) => i.id), [theirs.status.id]);
  });

  it('runs the default-handler pod in containerd and the gvisor pod in tsvisor', async () => {
    pods.runc = (await ok(cri, ['runp', podConfig('runc')])).trim();
    pods.gvisor = (await ok(cri, ['runp', '--runtime', 'gvisor', podConfig('gvisor')])).trim();
    assert.equal((await ok(ctd, ['pods', '-q', '--no-trunc'])).trim(), pods.runc, 'containerd holds only the default-handler pod');
    const listed = (JSON.parse(await ok(cri, ['pods', '-o', 'json'])) as PodListing).items;
    assert.deepEqual(
      listed.map((p) => [p.id, p.metadata.name, p.runtimeHandler, p.state]).sort(),
      [[pods.gvisor, 'gvisor', 'gvisor', 'SANDBOX_READY'], [pods.runc, 'runc', '', 'SANDBOX_READY']].sort(),
    );
    // inspectp reaches the owner: containerd's answer carries its own verbose info.
    const runc = JSON.parse(await ok(cri, ['inspectp', pods.runc])) as { status: { runtimeHandler: string; network: { ip: string } }; info: { runtimeType?: string } };
    assert.equal(runc.info.runtimeType, 'io.containerd.runc.v2');
    assert.match(runc.status.network.ip, new RegExp(`^10\\.234\\.${process.pid % 200}\\.\\d+$`));
    const gvisor = JSON.parse(await ok(cri, ['inspectp', pods.gvisor])) as { status: { runtimeHandler: string; network: { ip: string } }; info: { runtimeType?: string } };
    assert.equal(gvisor.status.runtimeHandler, 'gvisor');
    assert.equal(gvisor.info.runtimeType, undefined);
    assert.match(gvisor.status.network.ip, new RegExp(`^10\\.239\\.${process.pid % 200}\\.\\d+$`));
  });

  it('runs a container in each pod; both log, both are listed', async () => {
    for (const side of ['runc', 'gvisor'] as const) {
      const ctr = writeJson(`ctr-${side}.json`, {
        metadata: { name: `main-${side}` },
        image: { image: busybox },
        command: ['/bin/sh', '-c', 'echo hello from $(hostname); exec sleep 1000'],
        log_path: 'main.log',
        // Its own PID namespace, as kubelet asks by default (crictl's default shares the pod's):
        // then `sleep` is the init that ignores SIGTERM on both sides.
        linux: { security_context: { namespace_options: { pid: 1 } } },
      });
      ctrs[side] = (await ok(cri, ['create', pods[side], ctr, podConfig(side)])).trim();
      await ok(cri, ['start', ctrs[side]]);
    }
    for (const side of ['runc', 'gvisor'] as const) {
      let logs = '';
      for (let i = 0; i < 100 && logs === ''; i++) {
        logs = (await crictl(cri, ['logs', ctrs[side]])).stdout;
        if (logs === '') await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(logs, `hello from ${side}-host\n`);
      assert.match(fs.readFileSync(path.join(dir, 'logs', side, 'main.log'), 'utf8'), new RegExp(`^\\S+ stdout F hello from ${side}-host\\n$`));
    }
    assert.equal((await ok(ctd, ['ps', '-q', '--no-trunc'])).trim(), ctrs.runc, 'containerd holds only the runc container');
    const listed = (JSON.parse(await ok(cri, ['ps', '-o', 'json'])) as ContainerListing).containers;
    assert.deepEqual(
      listed.map((c) => [c.id, c.podSandboxId, c.metadata.name, c.state]).sort(),
      [[ctrs.runc, pods.runc, 'main-runc', 'CONTAINER_RUNNING'], [ctrs.gvisor, pods.gvisor, 'main-gvisor', 'CONTAINER_RUNNING']].sort(),
    );
  });

  it('inspect and exec reach the side that owns the container', async () => {
    for (const side of ['runc', 'gvisor'] as const) {
      const st = JSON.parse(await ok(cri, ['inspect', ctrs[side]])) as { status: { state: string; logPath: string }; info: { runtimeSpec?: unknown } };
      assert.equal(st.status.state, 'CONTAINER_RUNNING');
      assert.equal(st.status.logPath, path.join(dir, 'logs', side, 'main.log'));
      // containerd's verbose answer carries the OCI spec runc got; tsvisor's does not.
      assert.equal(st.info.runtimeSpec !== undefined, side === 'runc');
    }
    // The kernel tells the sides apart: tsvisor's Sentry reports release 4.4.0, runc the host's.
    // (crictl exec -s prints stdout, a newline, stderr, a newline.)
    const host = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8');
    assert.equal(await ok(cri, ['exec', '-s', ctrs.runc, 'uname', '-r']), `${host}\n\n`);
    assert.equal(await ok(cri, ['exec', '-s', ctrs.gvisor, 'uname', '-r']), '4.4.0\n\n\n');
    // Streaming exec goes through the owner's streaming server.
    for (const side of ['runc', 'gvisor'] as const) {
      const r = await crictl(cri, ['exec', '-i', ctrs[side], '/bin/sh', '-c', 'tr a-z A-Z; hostname'], { input: 'stdin\n' });
      assert.equal(r.stdout, `STDIN\n${side}-host\n`, JSON.stringify(r));
    }
  });

  it('unknown ids are NotFound from whichever side answers', async () => {
    const ghost = 'f'.repeat(64);
    for (const args of [['inspect', ghost], ['inspectp', ghost], ['logs', ghost], ['exec', '-s', ghost, 'true']]) {
      const r = await crictl(cri, args);
      assert.equal(r.code, 1, `crictl ${args.join(' ')}: ${JSON.stringify(r)}`);
      assert.match(r.stderr, /not ?found/i, `crictl ${args.join(' ')}`);
    }
  });

  it('stop, rm and rmp go to the owner and leave both runtimes empty', async () => {
    for (const side of ['runc', 'gvisor'] as const) {
      await ok(cri, ['stop', '-t', '1', ctrs[side]]);
      const st = JSON.parse(await ok(cri, ['inspect', ctrs[side]])) as { status: { state: string; exitCode: number } };
      assert.deepEqual([st.status.state, st.status.exitCode], ['CONTAINER_EXITED', 137], side);
      await ok(cri, ['rm', ctrs[side]]);
    }
    assert.equal((await ok(ctd, ['ps', '-a', '-q'])).trim(), '');
    assert.equal((await ok(cri, ['ps', '-a', '-q'])).trim(), '');
    await ok(cri, ['stopp', pods.runc]);
    await ok(cri, ['rmp', pods.runc]);
    assert.equal((await ok(ctd, ['pods', '-q'])).trim(), '');
    assert.equal((await ok(cri, ['pods', '-q', '--no-trunc'])).trim(), pods.gvisor);
    pods.runc = '';
    await ok(cri, ['stopp', pods.gvisor]);
    await ok(cri, ['rmp', pods.gvisor]);
    pods.gvisor = '';
    assert.equal((await ok(cri, ['pods', '-q'])).trim(), '');
    await ok(cri, ['rmi', busybox]);
    // containerd keeps only the sandbox image it pulled itself; tsvisor's store is empty.
    const left = (JSON.parse(await ok(cri, ['images', '-o', 'json'])) as { images: { repoTags: string[] }[] }).images;
    assert.deepEqual(left.map((i) => i.repoTags), [[reg.ref('tsvisor-test/pause:3.9')]]);
    assert.equal(await ok(cri, ['images', '-q']), await ok(ctd, ['images', '-q']));
  });
});
