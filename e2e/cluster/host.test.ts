/**
 * The cluster's host clean-up against the real thing: iptables in a throwaway
 * network namespace (the rules kubelet installs, quoted comment included),
 * cgroups in every mounted hierarchy, host folders, sysctls.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freshDir } from '../syscalls/harness';
import { parseEnvFile } from './bins';
import { exec } from './component';
import { CgroupRoot, cgroupMounts, IptablesSnapshot, parseIptablesSave, PathSnapshot, splitRule, SysctlSnapshot } from './host';

async function ok(argv: string[]): Promise<string> {
  const r = await exec(argv);
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('cluster host state', () => {
  it('splits iptables-save rules like the shell would', () => {
    assert.deepEqual(splitRule('-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -j DROP'), [
      '-A', 'KUBE-FIREWALL', '!', '-s', '127.0.0.0/8', '-d', '127.0.0.0/8', '-m', 'comment', '--comment', 'block incoming localnet connections', '-j', 'DROP',
    ]);
    assert.deepEqual(splitRule('-A X -m comment --comment "say \\"hi\\"" -j Y'), ['-A', 'X', '-m', 'comment', '--comment', 'say "hi"', '-j', 'Y']);
    assert.deepEqual(splitRule('-A X -m comment --comment "" -j Y'), ['-A', 'X', '-m', 'comment', '--comment', '', '-j', 'Y']);
  });

  describe('iptables, in a fresh network namespace', () => {
    const ns = `tsvhost${process.pid}`;
    const inNs = ['ip', 'netns', 'exec', ns];
    const ipt = (cmd: string, args: string) => ok([...inNs, cmd, '-w', ...splitRule(args)]);
    const save = async () => ((await ok([...inNs, 'iptables-save'])) + (await ok([...inNs, 'ip6tables-save']))).split('\n').filter((l) => !l.startsWith('#')).join('\n');
    before(() => ok(['ip', 'netns', 'add', ns]));
    after(() => exec(['ip', 'netns', 'delete', ns]));

    it("removes the chains and rules kubelet adds, keeps what was there", async () => {
      // iptables-nft creates a table on first use and never drops it; on a node they exist already.
      for (const cmd of ['iptables', 'ip6tables']) {
        for (const t of ['mangle', 'nat', 'filter']) {
          await ipt(cmd, `-t ${t} -N TSV-TOUCH`);
          await ipt(cmd, `-t ${t} -X TSV-TOUCH`);
        }
      }
      await ipt('iptables', '-N KUBE-OLD');
      await ipt('iptables', '-A INPUT -j KUBE-OLD');
      await ipt('iptables', '-A INPUT -p tcp --dport 22 -j ACCEPT');
      const snap = await IptablesSnapshot.take(inNs);
      const before = await save();
      // What kubelet's syncIPTablesRules does (pkg/kubelet/kubelet_network_linux.go), plus its canaries.
      await ipt('iptables', '-t mangle -N KUBE-IPTABLES-HINT');
      await ipt('iptables', '-N KUBE-FIREWALL');
      await ipt('iptables', '-I OUTPUT -j KUBE-FIREWALL');
      await ipt('iptables', '-I INPUT -j KUBE-FIREWALL');
      await ipt('iptables', '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP');
      for (const t of ['mangle', 'nat', 'filter']) await ipt('ip6tables', `-t ${t} -N KUBE-KUBELET-CANARY`);
      await ipt('iptables', '-t nat -N KUBE-SERVICES');
      await ipt('iptables', '-t nat -N KUBE-SVC-X');
      await ipt('iptables', '-t nat -A KUBE-SERVICES -d 10.96.0.1/32 -j KUBE-SVC-X');
      await ipt('iptables', '-t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
      await ipt('iptables', '-t nat -N OTHER'); // not ours: stays
      assert.notEqual(await save(), before);

      const removed = await snap.restore();
      assert.deepEqual(removed.sort(), [
        'ip6tables filter KUBE-KUBELET-CANARY', 'ip6tables mangle KUBE-KUBELET-CANARY', 'ip6tables nat KUBE-KUBELET-CANARY',
        'iptables filter KUBE-FIREWALL', 'iptables mangle KUBE-IPTABLES-HINT', 'iptables nat KUBE-SERVICES', 'iptables nat KUBE-SVC-X',
      ]);
      await ipt('iptables', '-t nat -X OTHER');
      assert.equal(await save(), before);
      assert.deepEqual(await snap.restore(), [], 'idempotent');
    });
  });

  it('parses iptables-save output per table', () => {
    const s = parseIptablesSave('# x\n*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-A - [0:0]\n-A PREROUTING -j KUBE-A\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    assert.deepEqual([...s.chains].map(([t, c]) => [t, [...c]]), [['nat', ['PREROUTING', 'KUBE-A']], ['filter', ['INPUT']]]);
    assert.deepEqual(s.rules.get('nat'), ['-A PREROUTING -j KUBE-A']);
  });

  it('creates a cgroup root in every hierarchy, usable by a task, and removes its whole tree', async () => {
    const { v1, v2 } = cgroupMounts();
    assert.ok(v1.length + v2.length > 0, 'no cgroup hierarchy mounted');
    const name = `/tsvisor-hosttest-${process.pid}`;
    const root = CgroupRoot.create(name);
    try {
      for (const m of [...v1, ...v2]) assert.ok(fs.statSync(path.join(m, name)).isDirectory(), m);
      const cpuset = v1.find((m) => fs.existsSync(path.join(m, 'cpuset.cpus')));
      if (cpuset !== undefined) {
        assert.equal(fs.readFileSync(path.join(cpuset, name, 'cpuset.cpus'), 'utf8'), fs.readFileSync(path.join(cpuset, 'cpuset.cpus'), 'utf8'));
        // A nested cgroup with a live task, as kubelet's pods would leave: reported busy, kept.
        const leaf = path.join(cpuset, name, 'kubepods', 'pod1');
        fs.mkdirSync(leaf, { recursive: true });
        for (const f of ['cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(path.join(leaf, '..', f), fs.readFileSync(path.join(cpuset, name, f)));
        for (const f of ['cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(path.join(leaf, f), fs.readFileSync(path.join(cpuset, name, f)));
        const sleeper = spawn('/bin/sleep', ['60']);
        try {
          fs.writeFileSync(path.join(leaf, 'cgroup.procs'), String(sleeper.pid));
          const busy = root.remove();
          assert.equal(busy.length, 3, busy.join('\n')); // pod1, kubepods, the root: in the cpuset hierarchy only
          assert.ok(busy.every((b) => b.startsWith(cpuset)), busy.join('\n'));
          assert.match(busy[0], new RegExp(`pod1 .*processes: ${sleeper.pid}\\)$`));
        } finally {
          sleeper.kill('SIGKILL');
          await new Promise((r) => sleeper.once('exit', r));
        }
      }
    } finally {
      assert.deepEqual(root.remove(), []);
    }
    for (const m of [...v1, ...v2]) assert.equal(fs.existsSync(path.join(m, name)), false, m);
    assert.throws(() => CgroupRoot.create('/a/b'), /one path component/);
  });

  it('removes new host folders and new entries, keeps old ones', () => {
    const dir = freshDir('hostpaths');
    const old = path.join(dir, 'old');
    fs.mkdirSync(old);
    fs.writeFileSync(path.join(old, 'keep'), '');
    const fresh = path.join(dir, 'fresh');
    const snap = PathSnapshot.fromJSON(JSON.parse(JSON.stringify(PathSnapshot.take([old, fresh])))); // as a killed run's state file
    fs.symlinkSync('/nonexistent/0.log', path.join(old, 'pod_ns_ctr.log'));
    fs.mkdirSync(path.join(fresh, 'sub'), { recursive: true });
    assert.deepEqual(snap.restore(), [path.join(old, 'pod_ns_ctr.log'), fresh]);
    assert.deepEqual(fs.readdirSync(old), ['keep']);
    assert.deepEqual(snap.restore(), []);
    fs.rmSync(dir, { recursive: true });
  });

  it('puts sysctls back', () => {
    const key = 'kernel/panic';
    const was = fs.readFileSync(`/proc/sys/${key}`, 'utf8').trim();
    const snap = SysctlSnapshot.fromJSON(JSON.parse(JSON.stringify(SysctlSnapshot.take([key, 'no/such/key']))));
    const other = was === '10' ? '11' : '10';
    fs.writeFileSync(`/proc/sys/${key}`, other);
    try {
      assert.deepEqual(snap.restore(), [`${key}: ${other} -> ${was}`]);
    } finally {
      fs.writeFileSync(`/proc/sys/${key}`, was);
    }
    assert.equal(fs.readFileSync(`/proc/sys/${key}`, 'utf8').trim(), was);
    assert.deepEqual(snap.restore(), []);
  });

  it('reads the versions file format', () => {
    assert.deepEqual(parseEnvFile('# c\n\nA=v1.2.3\nB_C=x\n'), { A: 'v1.2.3', B_C: 'x' });
    assert.throws(() => parseEnvFile('A=$(rm -rf /)\n'), /:1: not KEY=VALUE/);
  });
});
