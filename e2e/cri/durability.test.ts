/**
 * Issue 4, acceptance 4 (durability): `tsvisor cri` killed with SIGKILL and
 * started again on the same root and state finds its pods and containers
 * as they are (running, exited with their codes, exited while it was
 * down), the logs go on without a lost or doubled line, and stop/rm/rmp
 * then leave nothing behind. Also: a kill in the middle of RunPodSandbox,
 * a record whose Sentry is gone, and a pod whose Sentry is killed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PodCgroup } from '../../cri/pod/cgroup';
import { encodeRequest, rpc } from '../../cri/proto/codec';
import { Upstream } from '../../cri/server/upstream';
import { freshDir } from '../syscalls/harness';
import { cniConflist, crictl, CriServer, mountsUnder, processesMentioning, PushedRegistry, run, startCriServer, withPushedImages } from './harness';

const LOG_RECORD = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (stdout|stderr) (P|F) (.*)$/;

interface PodInfo {
  netnsPath: string;
  cgroupPath: string;
  sentryPid: number;
  runDir: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The `tick N` lines of a CRI log, each checked to be a whole, valid record. */
function ticksOf(logPath: string): { n: number; at: string }[] {
  const text = fs.readFileSync(logPath, 'utf8');
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), 'the log ends inside a record');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const m = LOG_RECORD.exec(line);
      assert.ok(m, `not a CRI log record: ${JSON.stringify(line)}`);
      assert.equal(`${m[2]} ${m[3]}`, 'stdout F', line);
      const t = /^tick (\d+)$/.exec(m[4]);
      assert.ok(t, `unexpected output: ${line}`);
      return { n: Number(t[1]), at: m[1] };
    });
}

/** The pod Sentry itself: the process of the pod cgroup that is PID 1 of its own PID namespace. */
function sentryProcess(cgroupPath: string): number {
  const pids = PodCgroup.open(cgroupPath).pids().filter((pid) => {
    try {
      const nspid = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1].split(/\s+/);
      return nspid?.length === 2 && nspid[1] === '1';
    } catch {
      return false;
    }
  });
  assert.equal(pids.length, 1, `pod Sentry among ${PodCgroup.open(cgroupPath).pids().join(', ')}`);
  return pids[0];
}

const cgroupExists = (p: string): boolean => {
  try {
    PodCgroup.open(p);
    return true;
  } catch {
    return false;
  }
};

describe('tsvisor cri durability (kill -9 of the server, of a pod Sentry)', function () {
  this.timeout(180_000);
  let reg: PushedRegistry;
  let cri: CriServer;
  let dir: string;
  let image: string;
  let podN = 0;

  async function ok(args: string[]): Promise<string> {
    const r = await crictl(cri, args);
    assert.equal(r.code, 0, `crictl ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  function writeJson(name: string, v: object): string {
    const p = path.join(dir, name);
    fs.writeFileSync(p, JSON.stringify(v));
    return p;
  }

  function podConfig(name: string): string {
    podN++;
    return writeJson(`pod-${name}.json`, {
      metadata: { name, namespace: 'durability', uid: `uid-${podN}`, attempt: 0 },
      log_directory: path.join(dir, 'logs', name), linux: {},
    });
  }

  async function runContainer(podId: string, podJson: string, name: string, script: string): Promise<string> {
    const ctr = writeJson(`ctr-${name}.json`, {
      metadata: { name }, image: { image }, command: ['/bin/sh', '-c', script], log_path: `${name}.log`, linux: {},
    });
    const id = (await ok(['create', podId, ctr, podJson])).trim();
    await ok(['start', id]);
    return id;
  }

  async function podInfo(podId: string): Promise<PodInfo> {
    const out = JSON.parse(await ok(['inspectp', '-o', 'json', podId])) as { info: PodInfo };
    return out.info;
  }

  async function podState(podId: string): Promise<string> {
    return (JSON.parse(await ok(['inspectp', podId])) as { status: { state: string } }).status.state;
  }

  async function ctrStatus(id: string): Promise<{ state: string; exitCode: number; reason: string }> {
    return (JSON.parse(await ok(['inspect', id])) as { status: { state: string; exitCode: number; reason: string } }).status;
  }

  /** After rmp: no process, mount, cgroup or record of the pod is left (the server itself aside). */
  function assertNothingLeft(info: Partial<PodInfo>): void {
    assert.deepEqual(processesMentioning([cri.dir, cri.stateDir]).filter((p) => Number(p.split(' ')[0]) !== cri.pid), []);
    assert.deepEqual(mountsUnder(cri.stateDir), []);
    if (info.cgroupPath) assert.ok(!cgroupExists(info.cgroupPath), `cgroup ${info.cgroupPath} left behind`);
    if (info.runDir) assert.ok(!fs.existsSync(info.runDir), `${info.runDir} left behind`);
    for (const sub of ['pods', 'containers', 'cni']) {
      const d = path.join(cri.root, sub);
      assert.deepEqual(fs.existsSync(d) ? fs.readdirSync(d) : [], [], `${d} is not empty`);
    }
  }

  async function restart(): Promise<void> {
    await cri.crash();
    cri = await cri.restart();
  }

  before(async () => {
    dir = freshDir('durability');
    const netDir = path.join(dir, 'net.d');
    fs.mkdirSync(netDir);
    const slot = process.pid % 200;
    fs.writeFileSync(path.join(netDir, '10-tsvisor.conflist'), cniConflist('tsvisor-durability', `tsvdur${slot}`, `10.236.${slot}.0/24`, path.join(dir, 'ipam')));
    reg = await withPushedImages();
    cri = await startCriServer({ args: ['--cni-conf-dir', netDir, '--insecure-registries', reg.host] });
    image = reg.ref('tsvisor-test/busybox:1.0');
    await ok(['pull', image]);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`--- cri log ---\n${cri.log()}`);
    for (const id of (await ok(['pods', '-q', '--no-trunc'])).split('\n').filter(Boolean)) await crictl(cri, ['rmp', '-f', id]);
  });

  after(async () => {
    await cri?.stop();
    await reg?.stop();
    await run('ip', ['link', 'delete', `tsvdur${process.pid % 200}`]); // CNI leaves its bridge after the last pod
  });

  it('after kill -9 and a restart: states, exit codes and logs are intact; exec, stop, rm and rmp work', async () => {
    const podJson = podConfig('restart');
    const podId = (await ok(['runp', '--runtime', 'gvisor', podJson])).trim();
    const info = await podInfo(podId);
    const tick = await runContainer(podId, podJson, 'tick', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done');
    const done = await runContainer(podId, podJson, 'done', 'exit 3');
    await waitFor('done to exit', async () => ((await ctrStatus(done)).state === 'CONTAINER_EXITED' ? true : undefined));
    const tickLog = path.join(dir, 'logs', 'restart', 'tick.log');
    await waitFor('3 ticks', () => (fs.existsSync(tickLog) && ticksOf(tickLog).length >= 3 ? true : undefined));
    // Exits while the server is down: its status must come from the Sentry.
    const late = await runContainer(podId, podJson, 'late', 'sleep 1; exit 5');

    await cri.crash();
    const downAt = new Date().toISOString();
    await sleep(1500);
    const upAt = new Date().toISOString();
    cri = await cri.restart();

    assert.equal((await ok(['pods', '-q', '--no-trunc'])).trim(), podId);
    assert.equal(await podState(podId), 'SANDBOX_READY');
    const listed = JSON.parse(await ok(['ps', '-a', '-o', 'json'])) as { containers: { id: string; state: string }[] };
    assert.deepEqual(
      listed.containers.map((c) => [c.id, c.state]).sort(),
      [[tick, 'CONTAINER_RUNNING'], [done, 'CONTAINER_EXITED'], [late, 'CONTAINER_EXITED']].sort(),
    );
    assert.deepEqual(await ctrStatus(done), { ...(await ctrStatus(done)), state: 'CONTAINER_EXITED', exitCode: 3, reason: 'Error' });
    assert.deepEqual(await ctrStatus(late), { ...(await ctrStatus(late)), state: 'CONTAINER_EXITED', exitCode: 5, reason: 'Error' });

    // The log went on while the server was down, and goes on after.
    const before = ticksOf(tickLog);
    assert.ok(before.some((t) => t.at > downAt && t.at < upAt), 'no tick logged while the server was down');
    await waitFor('more ticks', () => (ticksOf(tickLog).length >= before.length + 3 ? true : undefined));
    assert.match((await ok(['logs', '--tail', '1', tick])), /^tick \d+\n$/);
    // Log rotation works with the restarted server: kubelet renames the file, then asks for a new one.
    fs.renameSync(tickLog, `${tickLog}.1`);
    const client = new Upstream(cri.endpoint);
    try {
      await client.unary(rpc('ReopenContainerLog').path, encodeRequest('ReopenContainerLog', { container_id: tick }));
    } finally {
      client.close();
    }
    await waitFor('ticks in the new log', () => (fs.existsSync(tickLog) && ticksOf(tickLog).length >= 2 ? true : undefined));

    assert.equal(await ok(['exec', '-s', tick, '/bin/sh', '-c', 'echo alive; echo $((2+3)) >&2']), 'alive\n\n5\n\n');
    await ok(['stop', '-t', '0', tick]); // SIGKILL at once
    assert.deepEqual(await ctrStatus(tick), { ...(await ctrStatus(tick)), state: 'CONTAINER_EXITED', exitCode: 137 });
    const ticks = [...ticksOf(`${tickLog}.1`), ...ticksOf(tickLog)];
    assert.deepEqual(ticks.map((t) => t.n), ticks.map((_, i) => i + 1), 'ticks lost or doubled');
    assert.deepEqual(ticks.map((t) => t.at), ticks.map((t) => t.at).sort(), 'timestamps out of order');

    for (const id of [tick, done, late]) await ok(['rm', id]);
    await ok(['stopp', podId]);
    await ok(['rmp', podId]);
    assert.equal((await ok(['pods', '-q'])).trim(), '');
    assertNothingLeft(info);
  });

  it('containers that exit at once are EXITED with their code', async () => {
    const podJson = podConfig('quick');
    const podId = (await ok(['runp', '--runtime', 'gvisor', podJson])).trim();
    const ids = await Promise.all([...Array(8).keys()].map((i) => runContainer(podId, podJson, `quick${i}`, `exit ${i + 1}`)));
    for (const [i, id] of ids.entries()) {
      const st = await waitFor(`quick${i} to exit`, async () => {
        const s = await ctrStatus(id);
        return s.state === 'CONTAINER_EXITED' ? s : undefined;
      });
      assert.equal(st.exitCode, i + 1);
    }
  });

  it('a second restart with nothing running and a stopped pod keeps it NOTREADY; rmp works', async () => {
    const podJson = podConfig('stopped');
    const podId = (await ok(['runp', '--runtime', 'gvisor', podJson])).trim();
    const info = await podInfo(podId);
    const c = await runContainer(podId, podJson, 'sleeper', 'exec sleep 1000');
    await ok(['stopp', podId]);
    await restart();
    await restart();
    assert.equal(await podState(podId), 'SANDBOX_NOTREADY');
    assert.equal((await ctrStatus(c)).state, 'CONTAINER_EXITED');
    await ok(['rmp', podId]);
    assertNothingLeft(info);
  });

  it('kill -9 in the middle of RunPodSandbox: after a restart the pod is NOTREADY and rmp cleans up', async () => {
    // Kill at a different step each time: as soon as the record exists, then later and later.
    let cut = 0;
    for (const delayMs of [0, 20, 60, 150, 300, 600]) {
      const podJson = podConfig(`cut-${delayMs}`);
      const runp = crictl(cri, ['runp', '--runtime', 'gvisor', podJson]);
      const podsDir = path.join(cri.root, 'pods');
      const podId = await waitFor('the pod record', () => {
        const ids = fs.existsSync(podsDir) ? fs.readdirSync(podsDir) : [];
        return ids.length > 0 && fs.existsSync(path.join(podsDir, ids[0], 'pod.json')) ? ids[0] : undefined;
      }, 10_000);
      await sleep(delayMs);
      await cri.crash();
      const r = await runp;
      cri = await cri.restart();
      const state = await podState(podId.slice(0, 12));
      if (r.code === 0) {
        // The kill came after RunPodSandbox answered: the pod is complete.
        assert.equal(r.stdout.trim(), podId);
        assert.equal(state, 'SANDBOX_READY');
      } else if (state === 'SANDBOX_READY') {
        // The kill fell between the pod's last step and the answer reaching crictl:
        // a pod shown ready must then be complete, so a container runs in it.
        const probe = await runContainer(podId, podJson, `probe-${delayMs}`, 'exec sleep 1000');
        await ok(['exec', probe, 'true']);
      } else {
        assert.equal(state, 'SANDBOX_NOTREADY', `killed after ${delayMs} ms`);
        cut++;
      }
      const rec = JSON.parse(fs.readFileSync(path.join(podsDir, podId, 'pod.json'), 'utf8')) as Partial<PodInfo>;
      await ok(['rmp', '-f', podId]);
      assertNothingLeft(rec);
    }
    assert.ok(cut >= 2, `only ${cut} RunPodSandbox calls were cut short`);
  });

  it('kill -9 in the middle of StopPodSandbox or RemovePodSandbox: after a restart rmp finishes the job', async () => {
    for (const [verb, delayMs] of [['stopp', 50], ['stopp', 300], ['rmp', 50], ['rmp', 300]] as const) {
      const podJson = podConfig(`${verb}-${delayMs}`);
      const podId = (await ok(['runp', '--runtime', 'gvisor', podJson])).trim();
      const info = await podInfo(podId);
      await runContainer(podId, podJson, 'sleeper', 'exec sleep 1000');
      const call = crictl(cri, [verb, '-f', podId].filter((a) => a !== '-f' || verb === 'rmp'));
      await sleep(delayMs);
      await cri.crash();
      await call;
      cri = await cri.restart();
      // Unless the removal was complete before the kill, the pod is still there to remove.
      if ((await ok(['pods', '-q', '--no-trunc'])).trim() === podId) await ok(['rmp', '-f', podId]);
      assert.equal((await ok(['pods', '-q'])).trim(), '');
      assertNothingLeft(info);
    }
  });

  it('a pod record left READY whose Sentry is gone is NOTREADY after a restart; rmp cleans up', async () => {
    const podJson = podConfig('gone');
    const podId = (await ok(['runp', '--runtime', 'gvisor', podJson])).trim();
    const info = await podInfo(podId);
    const c = await runContainer(podId, podJson, 'sleeper', 'exec sleep 1000');
    await cri.crash();
    // The Sentry dies while no server watches it.
    process.kill(sentryProcess(info.cgroupPath), 'SIGKILL');
    await waitFor('the pod processes to end', () => (PodCgroup.open(info.cgroupPath).pids().length === 0 ? true : undefined));
    cri = await cri.restart();
    assert.equal(await podState(podId), 'SANDBOX_NOTREADY');
    assert.deepEqual(await ctrStatus(c), { ...(await ctrStatus(c)), state: 'CONTAINER_EXITED', reason: 'Unknown' });
    await ok(['rmp', podId]);
    assertNothingLeft(info);
  });

  it('a killed pod Sentry: its containers are EXITED, the pod NOTREADY; stopp and rmp clean up', async () => {
    const podJson = podConfig('killed');
    const podId = (await ok(['runp', '--runtime', 'gvisor', podJson])).trim();
    const info = await podInfo(podId);
    const c = await runContainer(podId, podJson, 'sleeper', 'echo up; exec sleep 1000');
    await waitFor('the container to log', () => (fs.existsSync(path.join(dir, 'logs', 'killed', 'sleeper.log')) ? true : undefined));
    // The pid inspectp reports is the Sentry's.
    assert.equal(info.sentryPid, sentryProcess(info.cgroupPath));
    process.kill(info.sentryPid, 'SIGKILL');
    await waitFor('the container to be EXITED', async () => ((await ctrStatus(c)).state === 'CONTAINER_EXITED' ? true : undefined));
    assert.deepEqual(await ctrStatus(c), { ...(await ctrStatus(c)), exitCode: 137, reason: 'Error' });
    await waitFor('the pod to be NOTREADY', async () => ((await podState(podId)) === 'SANDBOX_NOTREADY' ? true : undefined));
    const r = await crictl(cri, ['exec', '-s', c, '/bin/true']);
    assert.notEqual(r.code, 0);
    await ok(['stopp', podId]);
    await ok(['rmp', podId]);
    assertNothingLeft(info);
  });
});
