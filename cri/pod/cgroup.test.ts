import { strict as assert } from 'assert';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cgroupVersion, PodCgroup } from './cgroup';
import { cpuMax, sharesToWeight } from './cgroup-v2';

const ROOT = '/sys/fs/cgroup';
const MACHINE = cgroupVersion();
const TEST_PARENT = `tsvisor-test-${process.pid}`;

/** A node process that, once told on stdin, allocates and touches 32 MiB (charged to its
 *  cgroup from then on) and then idles. */
function hog(mib = 32): ChildProcess {
  const script = `process.stdin.once('data', () => { globalThis.b = Buffer.alloc(${mib} << 20, 1); console.log('ok'); setInterval(() => {}, 1000); });`;
  return spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
}
async function allocate(p: ChildProcess): Promise<void> {
  const ready = new Promise((r) => p.stdout?.once('data', r));
  p.stdin?.write('go\n');
  await ready;
}
function read(file: string): string {
  return fs.readFileSync(file, 'utf8').trim();
}
/** Every directory the test parent left in the machine's hierarchies. */
function leftovers(): string[] {
  const roots = MACHINE === 2 ? [ROOT] : fs.readdirSync(ROOT).map((c) => path.join(ROOT, c));
  return roots.map((r) => path.join(r, TEST_PARENT)).filter((d) => fs.existsSync(d));
}
function removeTestParent(): void {
  for (const d of leftovers()) {
    for (const sub of fs.readdirSync(d, { withFileTypes: true })) if (sub.isDirectory()) fs.rmdirSync(path.join(d, sub.name));
    fs.rmdirSync(d);
  }
}

describe(`cri/pod/cgroup (machine: cgroup v${MACHINE})`, () => {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    try {
      await PodCgroup.open(`${TEST_PARENT}/pod1`).destroy();
    } catch { /* not created or already gone */ }
    removeTestParent();
    assert.deepEqual(leftovers(), []);
  });

  it('creates the pod cgroup, applies limits, accounts a process, and destroys it', async () => {
    const cg = PodCgroup.create({ parent: `/${TEST_PARENT}/`, name: 'pod1' });
    assert.equal(cg.path, `${TEST_PARENT}/pod1`);
    assert.equal(cg.version, MACHINE);
    assert.equal(PodCgroup.create({ parent: TEST_PARENT, name: 'pod1' }).path, cg.path, 'idempotent');
    cg.setResources({ memory_limit_in_bytes: String(64 << 20), cpu_quota: '50000', cpu_period: '100000', cpu_shares: '512', cpuset_cpus: '0', cpuset_mems: '0' });
    if (MACHINE === 1) {
      assert.equal(read(`${ROOT}/memory/${cg.path}/memory.limit_in_bytes`), String(64 << 20));
      assert.equal(read(`${ROOT}/cpu/${cg.path}/cpu.cfs_quota_us`), '50000');
      assert.equal(read(`${ROOT}/cpu/${cg.path}/cpu.cfs_period_us`), '100000');
      assert.equal(read(`${ROOT}/cpu/${cg.path}/cpu.shares`), '512');
      assert.equal(read(`${ROOT}/cpuset/${cg.path}/cpuset.cpus`), '0');
      assert.equal(read(`${ROOT}/cpuset/${TEST_PARENT}/cpuset.cpus`), read(`${ROOT}/cpuset/cpuset.cpus`), 'parent inherits the root cpuset');
      assert.equal(read(`${ROOT}/cpuset/${TEST_PARENT}/cpuset.mems`), read(`${ROOT}/cpuset/cpuset.mems`));
    } else {
      assert.equal(read(`${ROOT}/${cg.path}/memory.max`), String(64 << 20));
      assert.equal(read(`${ROOT}/${cg.path}/cpu.max`), '50000 100000');
      assert.equal(read(`${ROOT}/${cg.path}/cpu.weight`), String(sharesToWeight(512n)));
      assert.equal(read(`${ROOT}/${cg.path}/cpuset.cpus`), '0');
    }
    // Unlimited again.
    cg.setResources({ memory_limit_in_bytes: '-1', cpu_quota: '-1' });
    if (MACHINE === 1) assert.equal(read(`${ROOT}/cpu/${cg.path}/cpu.cfs_quota_us`), '-1');
    else assert.equal(read(`${ROOT}/${cg.path}/cpu.max`), 'max 100000');

    const p = hog();
    children.push(p);
    await new Promise((r) => p.once('spawn', r));
    cg.addProcess(p.pid!);
    await allocate(p);
    assert.deepEqual(cg.pids(), [p.pid]);
    const s = cg.stats();
    assert.equal(s.pids, 1);
    assert.ok(s.memoryUsageBytes >= 32 << 20, `usage ${s.memoryUsageBytes}`);
    assert.ok(s.memoryRssBytes >= 32 << 20, `rss ${s.memoryRssBytes}`);
    assert.ok(s.memoryWorkingSetBytes > 0 && s.memoryWorkingSetBytes <= s.memoryUsageBytes);
    assert.ok(s.pageFaults >= (32 << 20) / 4096, `faults ${s.pageFaults}`);
    assert.ok(s.cpuUsageNs > 0n);
    assert.equal(s.oomKills, 0);
    // After a restart the runtime reopens it by path.
    assert.deepEqual(PodCgroup.open(cg.path).pids(), [p.pid]);

    const exited = new Promise<NodeJS.Signals | null>((r) => p.once('exit', (_c, sig) => r(sig)));
    await cg.destroy();
    assert.equal(await exited, 'SIGKILL');
    assert.throws(() => PodCgroup.open(cg.path), /does not exist/);
    await cg.destroy(); // idempotent
  });

  it('enforces the memory limit: a process over it is OOM-killed and counted', async () => {
    const cg = PodCgroup.create({ parent: TEST_PARENT, name: 'pod1' });
    cg.setResources({ memory_limit_in_bytes: String(64 << 20) });
    const p = hog(256);
    children.push(p);
    await new Promise((r) => p.once('spawn', r));
    cg.addProcess(p.pid!);
    const exited = new Promise<NodeJS.Signals | null>((r) => p.once('exit', (_c, sig) => r(sig)));
    p.stdin?.write('go\n');
    assert.equal(await exited, 'SIGKILL');
    assert.equal(cg.stats().oomKills, 1);
    await cg.destroy();
  });

  it('refuses bad names and values', () => {
    assert.throws(() => PodCgroup.create({ parent: 'kubepods/../..', name: 'x' }), /invalid cgroup parent component/);
    assert.throws(() => PodCgroup.create({ parent: TEST_PARENT, name: 'a/b' }), /invalid cgroup name/);
    assert.throws(() => PodCgroup.open('/'), /invalid cgroup path/);
    const cg = PodCgroup.create({ parent: TEST_PARENT, name: 'pod1' });
    assert.throws(() => cg.setResources({ memory_limit_in_bytes: '64Mi' }), /invalid memory_limit_in_bytes "64Mi"/);
    assert.throws(() => cg.setResources({ cpuset_cpus: '0;1' }), /invalid cpuset_cpus/);
    assert.throws(() => cg.addProcess(-1), /invalid pid/);
  });
});

describe('cri/pod/cgroup on a fake cgroupfs', () => {
  let root: string;
  beforeEach(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-cgfs-')); });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('v2: enables controllers down the tree and writes the unified files', async () => {
    fs.writeFileSync(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    fs.writeFileSync(path.join(root, 'cgroup.subtree_control'), 'cpu\n'); // cpu already on at the root
    assert.equal(cgroupVersion(root), 2);
    const cg = PodCgroup.create({ parent: '/kubepods/burstable', name: 'podabc', fsRoot: root });
    assert.equal(cg.version, 2);
    assert.equal(cg.path, 'kubepods/burstable/podabc');
    assert.equal(read(path.join(root, 'cgroup.subtree_control')), '+cpuset +memory +pids');
    assert.equal(read(path.join(root, 'kubepods/cgroup.subtree_control')), '+cpu +cpuset +memory +pids');
    assert.equal(read(path.join(root, 'kubepods/burstable/cgroup.subtree_control')), '+cpu +cpuset +memory +pids');
    const d = path.join(root, cg.path);
    cg.setResources({ cpu_shares: '1024', cpu_quota: '50000', cpu_period: '100000', memory_limit_in_bytes: '67108864', cpuset_cpus: '0-1', cpuset_mems: '0' });
    assert.equal(read(`${d}/cpu.weight`), '39');
    assert.equal(read(`${d}/cpu.max`), '50000 100000');
    assert.equal(read(`${d}/memory.max`), '67108864');
    assert.equal(read(`${d}/cpuset.cpus`), '0-1');
    assert.equal(read(`${d}/cpuset.mems`), '0');
    cg.setResources({ memory_limit_in_bytes: '-1', cpu_quota: '0', cpu_shares: '0' }); // 0 = unset: untouched
    assert.equal(read(`${d}/memory.max`), 'max');
    assert.equal(read(`${d}/cpu.max`), '50000 100000');
    assert.equal(read(`${d}/cpu.weight`), '39');

    cg.addProcess(4242);
    assert.deepEqual(cg.pids(), [4242]);
    fs.writeFileSync(`${d}/cpu.stat`, 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n');
    fs.writeFileSync(`${d}/memory.current`, '10000000\n');
    fs.writeFileSync(`${d}/memory.stat`, 'anon 6000000\nfile 4000000\ninactive_file 3000000\npgfault 900\npgmajfault 7\n');
    fs.writeFileSync(`${d}/memory.events`, 'low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n');
    fs.writeFileSync(`${d}/pids.current`, '3\n'); // threads: not the process count
    assert.deepEqual(cg.stats(), {
      cpuUsageNs: 1500000n, memoryUsageBytes: 10000000, memoryWorkingSetBytes: 7000000, memoryRssBytes: 6000000,
      pageFaults: 900, majorPageFaults: 7, oomKills: 2, pids: 1,
    });
    fs.writeFileSync(`${d}/cgroup.procs`, '');
    await cg.destroy();
    assert.equal(fs.existsSync(d), false);
    assert.equal(fs.existsSync(path.join(root, 'kubepods/burstable')), true, 'the parent stays');
  });

  it('v1: one directory per hierarchy, cpuset inherited, v1 file names', async () => {
    for (const c of ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'freezer']) fs.mkdirSync(path.join(root, c));
    fs.writeFileSync(path.join(root, 'cpuset/cpuset.cpus'), '0-7\n');
    fs.writeFileSync(path.join(root, 'cpuset/cpuset.mems'), '0-1\n');
    assert.equal(cgroupVersion(root), 1);
    const cg = PodCgroup.create({ name: 'p1', fsRoot: root });
    assert.equal(cg.path, 'tsvisor/p1');
    assert.equal(cg.version, 1);
    for (const c of ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'freezer']) assert.ok(fs.existsSync(path.join(root, c, 'tsvisor/p1')), c);
    assert.equal(read(path.join(root, 'cpuset/tsvisor/cpuset.cpus')), '0-7');
    assert.equal(read(path.join(root, 'cpuset/tsvisor/p1/cpuset.mems')), '0-1');
    cg.setResources({ cpu_shares: '1024', cpu_quota: '-1', cpu_period: '100000', memory_limit_in_bytes: '67108864', cpuset_cpus: '2-3' });
    assert.equal(read(path.join(root, 'cpu/tsvisor/p1/cpu.shares')), '1024');
    assert.equal(read(path.join(root, 'cpu/tsvisor/p1/cpu.cfs_quota_us')), '-1');
    assert.equal(read(path.join(root, 'cpu/tsvisor/p1/cpu.cfs_period_us')), '100000');
    assert.equal(read(path.join(root, 'memory/tsvisor/p1/memory.limit_in_bytes')), '67108864');
    assert.equal(read(path.join(root, 'cpuset/tsvisor/p1/cpuset.cpus')), '2-3');
    cg.addProcess(4242);
    assert.equal(read(path.join(root, 'cpuset/tsvisor/p1/cgroup.procs')), '4242');
    assert.equal(read(path.join(root, 'memory/tsvisor/p1/cgroup.procs')), '4242');
    assert.deepEqual(cg.pids(), [4242]);
    const m = path.join(root, 'memory/tsvisor/p1');
    fs.writeFileSync(path.join(root, 'cpuacct/tsvisor/p1/cpuacct.usage'), '123456789\n');
    fs.writeFileSync(`${m}/memory.usage_in_bytes`, '5000000\n');
    fs.writeFileSync(`${m}/memory.stat`, 'cache 100\nrss 1\ntotal_rss 4000000\ntotal_inactive_file 6000000\ntotal_pgfault 11\ntotal_pgmajfault 1\n');
    fs.writeFileSync(`${m}/memory.oom_control`, 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
    fs.writeFileSync(path.join(root, 'pids/tsvisor/p1/pids.current'), '1\n');
    assert.deepEqual(cg.stats(), {
      cpuUsageNs: 123456789n, memoryUsageBytes: 5000000, memoryWorkingSetBytes: 0, memoryRssBytes: 4000000,
      pageFaults: 11, majorPageFaults: 1, oomKills: 1, pids: 1,
    });
    for (const c of ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'freezer']) fs.writeFileSync(path.join(root, c, 'tsvisor/p1/cgroup.procs'), '');
    await cg.destroy();
    for (const c of ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'freezer']) assert.equal(fs.existsSync(path.join(root, c, 'tsvisor/p1')), false, c);
  });

  it('converts shares to weight and quota/period to cpu.max like the OCI runtimes', () => {
    assert.equal(sharesToWeight(2n), 1n);
    assert.equal(sharesToWeight(1024n), 39n);
    assert.equal(sharesToWeight(262144n), 10000n);
    assert.equal(cpuMax(undefined, undefined), undefined);
    assert.equal(cpuMax(20000n, undefined), '20000');
    assert.equal(cpuMax(undefined, 50000n), 'max 50000');
    assert.equal(cpuMax(-1n, 100000n), 'max 100000');
  });
});
