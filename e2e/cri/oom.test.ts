/**
 * Container memory limits (linux.resources.memory_limit_in_bytes) in a
 * gvisor pod against the same containers in containerd + runc (the
 * reference: Linux's memory cgroup): a container over its limit has its
 * process killed and ends OOMKilled with exit code 137 while the rest of
 * its pod lives on; one under its limit is left alone; an ordinary SIGKILL
 * is not an OOM kill; UpdateContainerResources sets the limit of a
 * running container. The hogs are dd, a shell's heap, files in /dev/shm
 * (data, or only inodes), and memhog (a static C program touching memory
 * with no system calls, which only the periodic check of running processes
 * catches). The gvisor side's Sentry logs each kill.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodCgroup } from '../../cri/pod/cgroup';
import { staticProgram } from '../images/rootfs';
import { crictlOk, type CriServer, type PodPair, startPodPair, writeJson } from './harness';

type Side = 'runc' | 'gvisor';
const SIDES: Side[] = ['runc', 'gvisor'];
const MiB = 1024 * 1024;
const LIMIT = 32 * MiB;

interface Status {
  state: string;
  exitCode: number;
  reason: string;
}

describe('container memory limits and the OOM killer: gvisor pod vs containerd/runc', function () {
  this.timeout(300_000);
  let pair: PodPair;
  let cri: CriServer;
  let dir: string;
  let busybox = '';
  const pods: Record<Side, string> = { runc: '', gvisor: '' };
  let n = 0;
  /** Holds e2e/images/c/memhog.c, built static: a program that touches memory without system calls. */
  let hogDir = '';

  const ok = (args: string[]): Promise<string> => crictlOk(cri, args, () => cri.log());

  const podConfig = (side: Side): string =>
    writeJson(dir, `pod-${side}.json`, { metadata: { name: `oom-${side}`, namespace: 'e2e-oom', uid: `uid-oom-${side}`, attempt: 0 }, log_directory: path.join(dir, `logs-${side}`) });

  /** Creates and starts a container running `script` with the given memory limit (0: none) and other resources; /hog holds memhog and cgroupinfo. */
  async function run(side: Side, script: string, limit: number, more: Record<string, number> = {}): Promise<string> {
    const name = `c${n++}`;
    const resources = { ...(limit > 0 ? { memory_limit_in_bytes: limit, memory_swap_limit_in_bytes: limit } : {}), ...more };
    const mounts = [{ container_path: '/hog', host_path: hogDir, readonly: true }];
    const ctr = writeJson(dir, `ctr-${name}.json`, {
      metadata: { name }, image: { image: busybox }, command: ['sh', '-c', script], log_path: `${name}.log`, linux: { resources }, mounts,
    });
    const id = (await ok(['create', pods[side], ctr, podConfig(side)])).trim();
    await ok(['start', id]);
    return id;
  }

  async function status(id: string): Promise<Status> {
    return (JSON.parse(await ok(['inspect', id])) as { status: Status }).status;
  }

  /** The container's status once it exited (or after `timeoutMs`). */
  async function exited(id: string, timeoutMs = 60_000): Promise<Status> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = await status(id);
      if (st.state === 'CONTAINER_EXITED' || Date.now() > deadline) return st;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const brief = (st: Status): string => `${st.state} ${st.exitCode} ${st.reason}`;

  /** The gvisor pod's Sentry debug log (its kills are logged there). */
  function sentryLog(): string {
    const dirs = path.join(cri.stateDir, 'sandboxes', pods.gvisor);
    return fs.readFileSync(path.join(dirs, 'sentry.log'), 'utf8');
  }

  before(async () => {
    pair = await startPodPair('oom', 239, (side, d) => ((dir = d), podConfig(side)));
    ({ cri, busybox } = pair);
    Object.assign(pods, pair.pods);
    hogDir = path.join(dir, 'hog');
    fs.mkdirSync(hogDir);
    fs.writeFileSync(path.join(hogDir, 'memhog'), staticProgram('memhog'), { mode: 0o755 });
    fs.writeFileSync(path.join(hogDir, 'cgroupinfo'), staticProgram('cgroupinfo'), { mode: 0o755 });
  });

  after(async () => {
    await pair?.stop();
  });

  it('a container that touches more than its limit ends OOMKilled with 137; another container of the pod lives on', async () => {
    for (const side of SIDES) {
      const sibling = await run(side, 'sleep 1000', 0);
      // dd's 64 MiB buffer, filled by each read from /dev/zero: twice the limit.
      const hog = await run(side, 'dd if=/dev/zero of=/dev/null bs=64M', LIMIT);
      assert.equal(brief(await exited(hog)), 'CONTAINER_EXITED 137 OOMKilled', side);
      assert.equal(brief(await status(sibling)), 'CONTAINER_RUNNING 0 ', `${side}: the sibling is untouched`);
      // (containerd's exec -s output ends in extra blank lines)
      assert.equal((await ok(['exec', '-s', sibling, 'echo', 'alive'])).trimEnd(), 'alive', side);
      await ok(['rm', '-f', sibling, hog]);
    }
    const kills = sentryLog().split('\n').filter((l) => l.includes('oom-kill:'));
    assert.equal(kills.length, 1, kills.join('\n'));
    assert.match(kills[0], /over its limit of 33554432 .*killed process \d+ \(dd\) with oom_score_adj 0, the worst; oom_kill 1$/);
  });

  it('a shell that keeps growing its heap (a 64 MiB command substitution) is the biggest process and is killed', async () => {
    for (const side of SIDES) {
      const id = await run(side, 'x=$(head -c 64m /dev/zero | tr "\\0" a); echo survived ${#x}', LIMIT);
      assert.equal(brief(await exited(id)), 'CONTAINER_EXITED 137 OOMKilled', side);
      assert.equal(await ok(['logs', id]), '', side);
      await ok(['rm', id]);
    }
  });

  it('a program touching memory without system calls is killed while it runs, and one that touched it and sleeps when it sleeps', async () => {
    for (const side of SIDES) {
      for (const mode of ['spin', 'sleep']) {
        const id = await run(side, `exec /hog/memhog 64 ${mode}`, LIMIT);
        assert.equal(brief(await exited(id)), 'CONTAINER_EXITED 137 OOMKilled', `${side} ${mode}`);
        assert.equal(await ok(['logs', id]), 'mapped 64 MiB\n', `${side} ${mode}`);
        await ok(['rm', id]);
      }
    }
  });

  it('files in memory count: 48 MiB written to /dev/shm (a tmpfs on both sides) end the container OOMKilled', async () => {
    for (const side of SIDES) {
      const id = await run(side, 'head -c 48m /dev/zero > /dev/shm/f; echo "head: $?"; sleep 1000', LIMIT);
      // The file outlives its writer: every process goes, the shell (the init) last.
      assert.equal(brief(await exited(id)), 'CONTAINER_EXITED 137 OOMKilled', side);
      assert.equal(await ok(['logs', id]), '', side);
      await ok(['rm', id]);
    }
  });

  // Empty files hold no data but their inodes: Linux charges tmpfs inodes and dentries to the
  // memory cgroup, the Sentry 1 KiB each. Without that, files could grow the Sentry without bound.
  it('empty files count: 100,000 of them in /dev/shm end the container OOMKilled', async () => {
    const script = 'cd /dev/shm && i=0; while [ $i -lt 100000 ]; do : > f$i; i=$((i+1)); done; echo "made: $i"; sleep 1000';
    for (const side of SIDES) {
      const id = await run(side, script, LIMIT);
      assert.equal(brief(await exited(id, 240_000)), 'CONTAINER_EXITED 137 OOMKilled', side);
      assert.equal(await ok(['logs', id]), '', side);
      await ok(['rm', id]);
    }
  });

  // Linux charges an unlinked tmpfs file's pages until its last close. runc on this host is no
  // stable reference here: it killed the writer in most runs, and in one CI run let it finish.
  it('an unlinked file counts while open: its only holder, writing 48 MiB to it in /dev/shm, is killed and the file goes with it (gvisor)', async () => {
    const script = `sh -c 'exec 3<> /dev/shm/f; rm /dev/shm/f; exec head -c 48m /dev/zero >&3'; echo "writer: $?"`;
    const id = await run('gvisor', script, LIMIT);
    assert.equal(brief(await exited(id)), 'CONTAINER_EXITED 0 OOMKilled');
    assert.equal(await ok(['logs', id]), 'writer: 137\n');
    await ok(['rm', id]);
  });

  it('a container under its limit is left alone, however much it maps; pages a fork shares count once', async () => {
    for (const side of SIDES) {
      for (const [mode, out] of [['sleep', 'touched\n'], ['fork', 'touched\nforked\n']]) {
        // 20 MiB touched: under the limit, but not twice (the fork's child shares them copy-on-write).
        const id = await run(side, `exec /hog/memhog 20 ${mode}`, LIMIT);
        for (let i = 0; i < 50 && !(await ok(['logs', id])).endsWith(out); i++) await new Promise((r) => setTimeout(r, 100));
        assert.equal(await ok(['logs', id]), `mapped 20 MiB\n${out}`, `${side} ${mode}`);
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(brief(await status(id)), 'CONTAINER_RUNNING 0 ', `${side} ${mode}`);
        await ok(['rm', '-f', id]);
      }
    }

    for (const side of SIDES) {
      // 8 MiB buffers, 20 reads: 160 MiB went through, never more than a quarter of the limit resident.
      const id = await run(side, 'dd if=/dev/zero of=/dev/null bs=8M count=20 2>/dev/null && echo done', LIMIT);
      assert.equal(brief(await exited(id)), 'CONTAINER_EXITED 0 Completed', side);
      assert.match(await ok(['logs', id]), /^done\n$/);
      await ok(['rm', id]);
    }
  });

  it('a child of the container killed by the OOM killer makes the container OOMKilled, whatever its init exits with', async () => {
    for (const side of SIDES) {
      const id = await run(side, 'dd if=/dev/zero of=/dev/null bs=64M; echo "dd: $?"', LIMIT);
      assert.equal(brief(await exited(id)), 'CONTAINER_EXITED 0 OOMKilled', side);
      assert.equal(await ok(['logs', id]), 'dd: 137\n', side);
      await ok(['rm', id]);
    }
  });

  it('a limited container\'s stats say what is left under its limit; a SIGKILL that is not the OOM killer\'s is reason Error', async () => {
    for (const side of SIDES) {
      const id = await run(side, 'sleep 1000', LIMIT);
      type Value = { value: string } | undefined;
      const stats = JSON.parse(await ok(['stats', '-o', 'json', id])) as { stats: Array<{ memory: { workingSetBytes: Value; availableBytes: Value } }> };
      const mem = stats.stats[0].memory;
      const used = Number(mem.workingSetBytes?.value ?? 0);
      assert.ok(used > 0 && used < LIMIT / 2, `${side}: ${used} bytes used`);
      assert.equal(Number(mem.availableBytes?.value), LIMIT - used, side);
      await ok(['stop', '-t', '0', id]);
      assert.equal(brief(await exited(id)), 'CONTAINER_EXITED 137 Error', side);
      await ok(['rm', id]);
    }
  });

  // A program sizing itself by the machine's memory must see its limit: runc's
  // container reads it from its cgroup (v2, or v1 as on this host); gvisor's shows it in
  // /proc/meminfo and sysinfo(2) too, as gVisor does, for programs that do not look at cgroups.
  it('a limited container sees its limit: the cgroup file under runc, /proc/meminfo and sysinfo (free) under gvisor', async () => {
    const probes: Record<Side, string> = { runc: 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes', gvisor: "awk '/^Mem(Total|Free):/ {print $2}' /proc/meminfo; free | awk '/^Mem:/ {print $2}'" };
    for (const side of SIDES) {
      const id = await run(side, 'sleep 1000', LIMIT);
      const out = (await ok(['exec', '-s', id, 'sh', '-c', probes[side]])).trim().split('\n');
      if (side === 'runc') assert.deepEqual(out, [String(LIMIT)]);
      else {
        const [total, free, sysinfoTotal] = out.map(Number);
        assert.equal(total, LIMIT / 1024, out.join(' '));
        assert.equal(sysinfoTotal, LIMIT / 1024, out.join(' '));
        assert.ok(free > 0 && free < total, `free ${free} kB of ${total}`);
      }
      await ok(['stop', '-t', '0', id]);
      await ok(['rm', id]);
    }
  });

  // Runtimes that size themselves by their cgroup (libuv, the JVM, Go's GOMAXPROCS) find it through
  // /proc/self/cgroup and /proc/self/mountinfo, then read its limits: cgroupinfo.c does the same,
  // on this host's cgroup v1 under runc and on the sandbox's cgroup v2 under gvisor.
  it('a container finds its memory and CPU limits in its cgroup as under runc, and sees them updated; /proc/self/mounts is its own', async () => {
    const cpu = { cpu_quota: 50_000, cpu_period: 100_000, cpu_shares: 512 };
    const outputs: string[] = [];
    for (const side of SIDES) {
      const id = await run(side, 'sleep 1000', LIMIT, cpu);
      const before = (await ok(['exec', '-s', id, '/hog/cgroupinfo'])).trimEnd();
      assert.equal(before, `memory ${LIMIT}\ncpu 50000 100000\nweight 20\nprocs 2`, side);
      await ok(['update', '--memory', String(LIMIT / 2), '--cpu-quota', '20000', '--cpu-period', '50000', '--cpu-share', '2048', id]);
      const after = (await ok(['exec', '-s', id, '/hog/cgroupinfo'])).trimEnd();
      assert.equal(after, `memory ${LIMIT / 2}\ncpu 20000 50000\nweight 79\nprocs 2`, side);
      outputs.push(`${before}\n${after}`);
      // Its own mount table (a gvisor container once listed the pod's empty root instead).
      const mounts = (await ok(['exec', '-s', id, 'sh', '-c', "awk '{ print $2, substr($4, 1, 2) }' /proc/self/mounts"])).split('\n');
      for (const m of ['/ rw', '/proc rw', '/dev rw', '/sys ro', '/hog ro']) assert.ok(mounts.includes(m), `${side}: no "${m}" in\n${mounts.join('\n')}`);
      await ok(['stop', '-t', '0', id]);
      await ok(['rm', id]);
    }
    assert.equal(outputs[1], outputs[0]);
  });

  // On the host, runc's container process has the score; a gvisor pod's processes (Sentry, Gofers,
  // stubs) have the lowest of its containers', as runsc gives its sandbox.
  it('a container starts at its configured oom_score_adj, on the host too; it may rise, and children inherit it', async () => {
    // (Lowering it below the runtime's value needs CAP_SYS_RESOURCE only where the runtime had it: this host's root has not.)
    const script = 'cat /proc/self/oom_score_adj; echo 600 > /proc/self/oom_score_adj; sh -c "cat /proc/self/oom_score_adj"';
    /** The distinct oom_score_adj values of the host processes running the container. */
    const hostScores = async (side: Side, id: string): Promise<string[]> => {
      let pids: number[];
      if (side === 'runc') pids = [(JSON.parse(await ok(['inspect', '-o', 'json', id])) as { info: { pid: number } }).info.pid];
      else pids = PodCgroup.open((JSON.parse(await ok(['inspectp', '-o', 'json', pods.gvisor])) as { info: { cgroupPath: string } }).info.cgroupPath).pids();
      return [...new Set(pids.map((pid) => fs.readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim()))];
    };
    for (const side of SIDES) {
      const id = await run(side, 'sleep 1000', 0, { oom_score_adj: 500 });
      assert.deepEqual(await hostScores(side, id), ['500'], side);
      assert.equal((await ok(['exec', '-s', id, 'sh', '-c', script])).trimEnd(), '500\n600', side);
      await ok(['stop', '-t', '0', id]);
      await ok(['rm', id]);
    }
  });

  it('the OOM killer weighs oom_score_adj: a smaller process at 1000 goes before a bigger one at 0', async () => {
    // 20 MiB at 0, then 16 MiB at 1000 in a 32 MiB container: Linux kills the smaller (16 MiB + 1000/1000 of the limit).
    const script = [
      '/hog/memhog 20 sleep > /tmp/first &',
      'until grep -q touched /tmp/first; do sleep 0.1; done',
      'sh -c "echo 1000 > /proc/self/oom_score_adj; exec /hog/memhog 16 sleep" > /dev/null',
      'echo "second: $?"',
      'kill -0 $! && echo "first alive"',
    ].join('\n');
    for (const side of SIDES) {
      const id = await run(side, script, LIMIT);
      const st = await exited(id);
      assert.equal(await ok(['logs', id]), 'second: 137\nfirst alive\n', side);
      assert.equal(brief(st), 'CONTAINER_EXITED 0 OOMKilled', side);
      await ok(['rm', id]);
    }
  });

  it('UpdateContainerResources gives a running container its memory limit', async () => {
    for (const side of SIDES) {
      // The second's pause lets the exec'd `touch` exit first: the container's end (dd, its last
      // process, OOM-killed) kills whatever still runs in it, and a loaded host once left touch there.
      const id = await run(side, 'while [ ! -e /go ]; do sleep 0.1; done; sleep 1; dd if=/dev/zero of=/dev/null bs=64M', 0);
      await ok(['update', '--memory', String(LIMIT), id]);
      await ok(['exec', '-s', id, 'touch', '/go']);
      assert.equal(brief(await exited(id)), 'CONTAINER_EXITED 137 OOMKilled', side);
      await ok(['rm', id]);
    }
  });
});
