/**
 * Issue 6, e2e items 2-4: workloads driven by kubectl on the real test
 * cluster. Pods with `runtimeClassName: gvisor` run in tsvisor sandboxes
 * (kubelet → tsvisor cri); pods without one go to containerd (runc).
 *
 * - item 2: logs, exec (dmesg, uname, ps) in a gvisor pod; the host kernel in a runc pod;
 * - item 3: exec -it with a terminal, logs -f, attach, cp both ways;
 * - item 4: a Deployment, Jobs (success and failure), CrashLoopBackOff,
 *   exec probes (readiness and liveness), resource limits on the pod's
 *   cgroup, the kubelet's stats summary of a gvisor pod and `kubectl top pod`
 *   (metrics-server behind the aggregation layer);
 * - item 5: networking: nginx replicas in gvisor behind a ClusterIP Service
 *   (kube-proxy, iptables), reached from a gvisor and a runc client pod;
 *   pod to pod between gvisor and runc pods both ways; kubectl port-forward.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { crictl } from '../cri/harness';
import { imageRef } from '../images/client';
import { INDEX_HTML, NGINX_IMAGE } from '../images/nginx';
import { freePort } from '../images/registry';
import { type ContainerStatus, type Pod, quantityBytes } from './api';
import { clusterBins } from './bins';
import { type Cluster, startCluster } from './cluster';
import { get } from './component';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('workloads on the test cluster (kubectl, gvisor and runc pods)', function () {
  this.timeout(180_000);
  let cluster: Cluster;
  let scratch: string;

  before(async () => {
    cluster = await startCluster({ kubeProxy: true, metricsServer: true }); // item 5's Service, item 4's kubectl top
    scratch = fs.mkdtempSync(path.join(cluster.dir, 'workloads-'));
  });

  after(async () => {
    if (cluster !== undefined) await cluster.stop();
  });

  const busybox = () => cluster.registry.ref('tsvisor-test/busybox:1.0');

  /** A pod manifest: one busybox container named `main` running `script` under sh. */
  function podManifest(name: string, script: string, o: { gvisor?: boolean; restartPolicy?: string; container?: object; spec?: object } = {}): object {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { test: 'workloads' } },
      spec: {
        ...((o.gvisor ?? true) ? { runtimeClassName: 'gvisor' } : {}),
        restartPolicy: o.restartPolicy ?? 'Never',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: busybox(), command: ['/bin/sh', '-c', script], ...o.container }],
        ...o.spec,
      },
    };
  }

  async function apply(...objects: object[]): Promise<void> {
    await cluster.kubectlOk(['apply', '-f', '-'], objects.map((x) => stringify(x)).join('---\n'));
  }

  const getPod = (name: string): Promise<Pod> => cluster.api.pod(name);

  /** Watches the pod until `done(pod)` holds; fails with the pod's description and the components' logs. */
  async function waitPod(name: string, what: string, done: (p: Pod) => boolean, timeoutSec = 120): Promise<Pod> {
    const { ok, last } = await cluster.api.waitPod(name, done, timeoutSec * 1000);
    if (ok && last !== undefined) return last;
    const describe = await cluster.kubectl(['describe', 'pod', name]);
    return assert.fail(`pod ${name}: not ${what} after ${timeoutSec} s\nstatus: ${JSON.stringify(last?.status)}\n${describe.stdout}\n${cluster.diagnostics()}`);
  }

  const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const main = (p: Pod): ContainerStatus | undefined => p.status?.containerStatuses?.find((c) => c.name === 'main');
  const uidOf = async (name: string): Promise<string> => (await getPod(name)).metadata?.uid ?? assert.fail(`pod ${name} has no uid`);

  async function deletePods(...names: string[]): Promise<void> {
    await cluster.kubectlOk(['delete', 'pod', ...names, '--wait=true', '--ignore-not-found']);
  }

  /** `kubectl exec <pod> -- argv`, which must succeed: its stdout. */
  async function kexec(pod: string, argv: string[]): Promise<string> {
    return cluster.kubectlOk(['exec', pod, '--', ...argv]);
  }

  /** The command line cluster.kubectl() runs, for a shell. */
  const kubectlCommand = () => `${clusterBins().kube('kubectl')} --kubeconfig ${cluster.kubeconfig}`;

  describe('item 2: a gvisor pod and a runc pod side by side', () => {
    before(async () => {
      await apply(
        podManifest('sandboxed', 'echo hello from the sandbox; exec sleep 3600'),
        podManifest('native', 'exec sleep 3600', { gvisor: false }),
      );
      await waitPod('sandboxed', 'Ready', isReady);
      await waitPod('native', 'Ready', isReady);
    });

    after(async () => {
      await deletePods('sandboxed', 'native');
    });

    it('runs in tsvisor: the pod is in tsvisor cri with handler gvisor, its output through kubectl logs', async () => {
      const uid = await uidOf('sandboxed');
      const listed = JSON.parse((await crictl(cluster.cri, ['pods', '-o', 'json', '--label', `io.kubernetes.pod.uid=${uid}`])).stdout) as { items: { runtimeHandler: string; state: string }[] };
      assert.deepEqual(listed.items.map((p) => [p.runtimeHandler, p.state]), [['gvisor', 'SANDBOX_READY']]);
      assert.equal(await cluster.kubectlOk(['logs', 'sandboxed']), 'hello from the sandbox\n');
    });

    it("kubectl exec: dmesg is the Sentry's boot log, uname -r is 4.4.0, exit codes come back", async () => {
      const dmesg = (await kexec('sandboxed', ['dmesg'])).split('\n');
      assert.equal(dmesg[0], '[    0.000000] Starting tsvisor...');
      assert.equal(dmesg.at(-2), '[    0.060000] Ready!');
      assert.equal(await kexec('sandboxed', ['uname', '-r']), '4.4.0\n');
      // The command's exit status and stderr come back through kubectl.
      const failed = await cluster.kubectl(['exec', 'sandboxed', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.deepEqual([failed.code, failed.stdout, failed.stderr], [3, 'out\n', 'err\ncommand terminated with exit code 3\n']);
    });

    it("the host's processes are invisible: ps and /proc show only the container's", async () => {
      // The pod's container has its own PID namespace (Kubernetes' default): its init is `sleep`, and exec joins it.
      const ps = await kexec('sandboxed', ['ps', '-o', 'pid,args']);
      assert.match(ps, /^PID {3}COMMAND\n {4}1 sleep 3600\n +\d+ ps -o pid,args\n$/);
      // /proc lists the same two: sleep and the exec'd ls.
      const procPids = (await kexec('sandboxed', ['ls', '/proc'])).split(/\s+/).filter((e) => /^\d+$/.test(e));
      assert.equal(procPids.length, 2, procPids.join(' '));
      assert.equal(procPids[0], '1');
      // The host, by contrast, runs far more (kubelet among them).
      assert.ok(fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length > 20);
    });

    it('a pod without a runtime class runs in containerd (runc): the host kernel', async () => {
      assert.equal(await kexec('native', ['uname', '-r']), `${os.release()}\n`);
      const uid = await uidOf('native');
      const listed = JSON.parse((await crictl(cluster.containerd, ['pods', '-o', 'json', '--label', `io.kubernetes.pod.uid=${uid}`])).stdout) as { items: unknown[] };
      assert.equal(listed.items.length, 1);
    });
  });

  describe('item 3: exec -it, logs -f, attach, cp', () => {
    before(async () => {
      // Prints a line each time a flag file appears: what `logs -f` must deliver as it happens.
      const follow = 'echo first; until [ -e /tmp/two ]; do sleep 0.2; done; echo second; until [ -e /tmp/three ]; do sleep 0.2; done; echo third; exec sleep 3600';
      await apply(
        podManifest('follow', follow),
        podManifest('reader', 'while read l; do echo "got $l"; done; echo "stdin closed"; exit 7', { container: { stdin: true, stdinOnce: true } }),
      );
      for (const p of ['follow', 'reader']) await waitPod(p, 'Ready', isReady);
    });

    it('exec -it gives the command a terminal of the size of kubectl\'s', async () => {
      const cmd = `${kubectlCommand()} exec -it follow -- /bin/sh -c 'tty; stty size; test -t 0 && echo stdin-is-a-tty'`;
      // script's input stays open until it exits (at EOF it would type ^D into the terminal).
      const child = spawn('/usr/bin/script', ['-qec', `stty rows 33 cols 101; ${cmd}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 0, stdout);
      assert.equal(stdout.replace(/\r/g, ''), '/dev/pts/0\n33 101\nstdin-is-a-tty\n');
    });

    it('exec -i streams stdin to the command until EOF', async () => {
      const input = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join('');
      const r = await cluster.kubectl(['exec', '-i', 'follow', '--', 'sh', '-c', 'wc -l; echo done'], { input });
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, '2000\ndone\n', '']);
    });

    it('logs -f delivers each new line as the container writes it', async () => {
      const child = spawn(clusterBins().kube('kubectl'), ['--kubeconfig', cluster.kubeconfig, 'logs', '-f', 'follow'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const waitOut = async (want: string) => {
        for (const deadline = Date.now() + 30_000; out !== want; await sleep(100)) {
          if (Date.now() > deadline) assert.fail(`logs -f: ${JSON.stringify(out)}, waiting for ${JSON.stringify(want)}`);
        }
      };
      try {
        await waitOut('first\n');
        await kexec('follow', ['touch', '/tmp/two']);
        await waitOut('first\nsecond\n');
        await kexec('follow', ['touch', '/tmp/three']);
        await waitOut('first\nsecond\nthird\n');
        assert.equal(child.exitCode, null, 'still following');
      } finally {
        child.kill();
      }
    });

    it('attach -i feeds a stdin-once container; it sees EOF when kubectl detaches and exits with its code', async () => {
      const r = await cluster.kubectl(['attach', '-i', 'reader', '-c', 'main'], { input: 'a\nb\n', timeoutSec: 60 });
      assert.equal(r.stdout, 'got a\ngot b\nstdin closed\n', JSON.stringify(r));
      const p = await waitPod('reader', 'terminated', (x) => main(x)?.state?.terminated !== undefined);
      assert.equal(main(p)?.state?.terminated?.exitCode, 7);
      assert.equal(await cluster.kubectlOk(['logs', 'reader']), 'got a\ngot b\nstdin closed\n');
    });

    it('cp copies a file into the container and one out of it (busybox tar inside)', async () => {
      const local = path.join(scratch, 'to-pod.txt');
      fs.writeFileSync(local, 'from the host\nsecond line\n');
      await cluster.kubectlOk(['cp', local, 'follow:/tmp/in.txt']);
      assert.equal(await kexec('follow', ['cat', '/tmp/in.txt']), 'from the host\nsecond line\n');

      await kexec('follow', ['sh', '-c', 'mkdir /tmp/dir && echo made inside > /tmp/dir/a && seq 1 1000 > /tmp/dir/b']);
      const back = path.join(scratch, 'from-pod');
      await cluster.kubectlOk(['cp', 'follow:/tmp/dir', back]);
      assert.deepEqual(fs.readdirSync(back).sort(), ['a', 'b']);
      assert.equal(fs.readFileSync(path.join(back, 'a'), 'utf8'), 'made inside\n');
      assert.equal(fs.readFileSync(path.join(back, 'b'), 'utf8'), Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join(''));
    });

    after(async () => {
      await deletePods('follow', 'reader');
    });
  });

  describe('item 4: controllers, restarts, probes, limits, stats', () => {
    before(async () => {
      // Started first: CrashLoopBackOff needs two back-offs (10 s, 20 s) before its check.
      await apply(podManifest('crasher', 'echo crashing; exit 3', { restartPolicy: 'Always' }));
    });

    after(async () => {
      await cluster.kubectlOk(['delete', 'deployment,job', '-l', 'test=workloads', '--wait=true']);
      await cluster.kubectlOk(['delete', 'pod', '-l', 'test=workloads', '--wait=true']);
    });

    it('a Deployment of 3 gvisor replicas becomes Available', async () => {
      await apply({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default', labels: { test: 'workloads' } },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web', test: 'workloads' } },
            spec: {
              runtimeClassName: 'gvisor',
              terminationGracePeriodSeconds: 1,
              // Readiness by an exec probe here; HTTP servers and an HTTP probe are item 5's.
              containers: [{
                name: 'web', image: busybox(), command: ['/bin/sh', '-c', 'touch /tmp/ready; exec sleep 3600'],
                readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 },
              }],
            },
          },
        },
      });
      await cluster.kubectlOk(['rollout', 'status', 'deployment/web', '--timeout=120s']);
      const d = await cluster.api.deployment('web');
      assert.equal(d.status?.availableReplicas, 3);
      assert.equal(d.status?.conditions?.find((c) => c.type === 'Available')?.status, 'True');
      const pods = await cluster.api.pods('app=web');
      assert.deepEqual(pods.map((p) => [p.spec?.runtimeClassName, p.status?.phase]), Array(3).fill(['gvisor', 'Running']));
      const sandboxes = JSON.parse((await crictl(cluster.cri, ['pods', '-o', 'json', '--label', 'app=web', '--state', 'ready'])).stdout) as { items: { runtimeHandler: string }[] };
      assert.deepEqual(sandboxes.items.map((s) => s.runtimeHandler), ['gvisor', 'gvisor', 'gvisor']);
    });

    it('Jobs report their exit code: one completes, a failing one reports its non-zero code', async () => {
      const job = (name: string, code: number) => ({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name, namespace: 'default', labels: { test: 'workloads' } },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: { test: 'workloads' } },
            spec: {
              runtimeClassName: 'gvisor',
              restartPolicy: 'Never',
              terminationGracePeriodSeconds: 1,
              containers: [{ name: 'main', image: busybox(), command: ['/bin/sh', '-c', `echo job ${name}; exit ${code}`] }],
            },
          },
        },
      });
      await apply(job('works', 0), job('fails', 42));
      await cluster.kubectlOk(['wait', '--for=condition=Complete', 'job/works', '--timeout=120s']);
      await cluster.kubectlOk(['wait', '--for=condition=Failed', 'job/fails', '--timeout=120s']);
      const counts = async (name: string) => {
        const { succeeded, failed } = (await cluster.api.job(name)).status ?? {};
        return { succeeded, failed };
      };
      assert.deepEqual(await counts('works'), { succeeded: 1, failed: undefined });
      assert.deepEqual(await counts('fails'), { succeeded: undefined, failed: 1 });
      for (const [name, code] of [['works', 0], ['fails', 42]] as const) {
        const pods = await cluster.api.pods(`job-name=${name}`);
        assert.equal(pods.length, 1);
        const terminated = main(pods[0])?.state?.terminated;
        assert.deepEqual([terminated?.exitCode, terminated?.reason], [code, code === 0 ? 'Completed' : 'Error']);
        assert.equal(await cluster.kubectlOk(['logs', pods[0].metadata?.name ?? '']), `job ${name}\n`);
      }
    });

    it('exec probes: readiness flips Ready both ways, a failing liveness probe restarts the container', async () => {
      const probe = (file: string) => ({ exec: { command: ['cat', file] }, periodSeconds: 1, failureThreshold: 1, successThreshold: 1 });
      await apply(
        podManifest('ready-probe', 'exec sleep 3600', { container: { readinessProbe: probe('/tmp/ready') } }),
        podManifest('live-probe', 'echo start; touch /tmp/alive; exec sleep 3600', { restartPolicy: 'Always', container: { livenessProbe: { ...probe('/tmp/alive'), initialDelaySeconds: 1 } } }),
      );
      await waitPod('ready-probe', 'Running', (p) => main(p)?.state?.running !== undefined);
      await sleep(3000); // several probe periods
      assert.equal(main(await getPod('ready-probe'))?.ready, false, 'not ready before the file exists');
      await kexec('ready-probe', ['touch', '/tmp/ready']);
      await waitPod('ready-probe', 'Ready', isReady, 30);
      await kexec('ready-probe', ['rm', '/tmp/ready']);
      await waitPod('ready-probe', 'not Ready', (p) => !isReady(p) && main(p)?.state?.running !== undefined, 30);

      await waitPod('live-probe', 'Running', (p) => main(p)?.state?.running !== undefined);
      await sleep(3000);
      assert.equal(main(await getPod('live-probe'))?.restartCount, 0, 'a passing liveness probe does not restart');
      await kexec('live-probe', ['rm', '/tmp/alive']);
      const restarted = await waitPod('live-probe', 'restarted and running', (p) => main(p)?.restartCount === 1 && main(p)?.state?.running !== undefined, 60);
      // Killed by the kubelet (exit 137 from SIGKILL after the grace period, or 143 from SIGTERM).
      assert.ok([137, 143].includes(main(restarted)?.lastState?.terminated?.exitCode ?? -1), JSON.stringify(main(restarted)));
      // A new container: a fresh root overlay with the file created again.
      assert.equal(await kexec('live-probe', ['cat', '/tmp/alive']), '');
      await deletePods('ready-probe', 'live-probe');
    });

    it('a failing container goes to CrashLoopBackOff with its restarts counted', async () => {
      const p = await waitPod('crasher', 'CrashLoopBackOff after 2 restarts', (x) => (main(x)?.restartCount ?? 0) >= 2 && main(x)?.state?.waiting?.reason === 'CrashLoopBackOff', 120);
      assert.equal(main(p)?.lastState?.terminated?.exitCode, 3);
      assert.equal(await cluster.kubectlOk(['logs', 'crasher', '--previous']), 'crashing\n');
    });

    it("resource limits are applied to the pod's cgroups (kubelet's and tsvisor's)", async () => {
      const resources = { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '250m', memory: '256Mi' } };
      // A busy loop first (no system calls: the stub burns CPU natively), so that the container has CPU time to report.
      await apply(podManifest('limited', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 3600', { container: { resources } }));
      const p = await waitPod('limited', 'Ready', isReady);
      const limit = String(256 * 1024 * 1024);
      // kubelet's pod cgroup (Guaranteed QoS: directly under kubepods), cgroupfs driver, cgroup v1 or v2.
      const sandbox = JSON.parse((await crictl(cluster.cri, ['pods', '-o', 'json', '--label', `io.kubernetes.pod.uid=${p.metadata?.uid}`])).stdout) as { items: { id: string }[] };
      assert.equal(sandbox.items.length, 1);
      const inspect = JSON.parse((await crictl(cluster.cri, ['inspectp', sandbox.items[0].id])).stdout) as { info: { cgroupPath: string } };
      const cgroupPath = inspect.info.cgroupPath;
      assert.match(cgroupPath, new RegExp(`/kubepods/pod${p.metadata?.uid}/tsvisor-${sandbox.items[0].id.slice(0, 32)}$`));
      const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
      const read = (controller: string, rel: string, v1File: string, v2File: string) =>
        fs.readFileSync(v2 ? path.join('/sys/fs/cgroup', rel, v2File) : path.join('/sys/fs/cgroup', controller, rel, v1File), 'utf8').trim();
      // kubelet limits its pod cgroup (the sum of the containers' limits); tsvisor's pod cgroup, with the
      // Sentry and every container's processes, sits below it: the limit holds for all of them.
      const kubeletPodCgroup = path.dirname(cgroupPath);
      assert.equal(read('memory', kubeletPodCgroup, 'memory.limit_in_bytes', 'memory.max'), limit);
      assert.equal(v2 ? read('cpu', kubeletPodCgroup, '', 'cpu.max') : read('cpu', kubeletPodCgroup, 'cpu.cfs_quota_us', ''), v2 ? '25000 100000' : '25000');
      if (!v2) assert.match(read('memory', cgroupPath, 'memory.stat', ''), new RegExp(`^hierarchical_memory_limit ${limit}$`, 'm'));
      // The Sentry and the container's Gofer (one, serving the image root and the service-account volume) run in tsvisor's pod cgroup.
      const procs = read('memory', cgroupPath, 'cgroup.procs', 'cgroup.procs').split('\n').map(Number);
      const cmdlines = procs.map((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '));
      assert.ok(cmdlines.some((c) => / sandbox --control \S+\/control\.sock/.test(c)), cmdlines.join('\n'));
      const gofers = cmdlines.filter((c) => /\/gofer\/main\.js /.test(c));
      assert.equal(gofers.length, 1, cmdlines.join('\n'));
      assert.match(gofers[0], /--tree 3:ro:\S+\/images\/unpacked\/\S+ --tree 4:ro:\S+\/kube-api-access-/);
    });

    // The host's OOM killer kills the biggest process of the pod's cgroup: under tsvisor, the stub running tail.
    it('a process over the memory limit is OOM-killed alone, as under runc', async () => {
      const hog = 'echo start; head -c 400m /dev/zero | tail; echo survived $?';
      const container = { resources: { limits: { cpu: '1', memory: '160Mi' } } };
      await apply(podManifest('hog-runc', hog, { gvisor: false, container }), podManifest('hog-gvisor', hog, { container }));
      const ended = async (name: string) => {
        const p = await waitPod(name, 'terminated', (x) => main(x)?.state?.terminated !== undefined);
        return { code: main(p)?.state?.terminated?.exitCode, logs: await cluster.kubectlOk(['logs', name]) };
      };
      // runc: the kernel kills tail (the biggest process of the cgroup); the shell reports it and goes on.
      // "Killed" goes to stderr, the rest to stdout: the log interleaves the two streams as their
      // readers take them (either order seen under runc), so lines are compared as sets.
      const lines = (r: { code?: number; logs: string }) => ({ ...r, logs: r.logs.split('\n').sort() });
      const runc = await ended('hog-runc');
      assert.deepEqual(lines(runc), { code: 0, logs: ['', 'Killed', 'start', 'survived 137'] });
      const gvisor = await ended('hog-gvisor');
      assert.deepEqual(lines(gvisor), lines(runc));
      await deletePods('hog-runc', 'hog-gvisor');
    });

    it("kubelet's stats summary shows the gvisor pod's CPU and memory", async () => {
      // kubelet's CRI stats provider: the pod from its cgroup, the containers from tsvisor's ListContainerStats.
      const uid = await uidOf('limited');
      interface Usage { cpu?: { usageCoreNanoSeconds?: number }; memory?: { workingSetBytes?: number; usageBytes?: number } }
      type Summary = { pods: ({ podRef: { name: string; uid: string }; containers?: ({ name: string } & Usage)[] } & Usage)[] };
      let entry: Summary['pods'][number] | undefined;
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(2000)) {
        const summary = JSON.parse(await cluster.kubectlOk(['get', '--raw', `/api/v1/nodes/${cluster.nodeName}/proxy/stats/summary`])) as Summary;
        entry = summary.pods.find((x) => x.podRef.uid === uid);
        const ctr = entry?.containers?.find((c) => c.name === 'main');
        if ((entry?.cpu?.usageCoreNanoSeconds ?? 0) > 0 && (ctr?.cpu?.usageCoreNanoSeconds ?? 0) > 0) break;
      }
      assert.ok(entry !== undefined, 'pod in the summary');
      assert.ok((entry.cpu?.usageCoreNanoSeconds ?? 0) > 0, JSON.stringify(entry));
      // The Sentry alone is a Node process: tens of MiB, below the limit.
      const ws = entry.memory?.workingSetBytes ?? 0;
      assert.ok(ws > 10 * 1024 * 1024 && ws <= 256 * 1024 * 1024, JSON.stringify(entry));
      const ctr = entry.containers?.find((c) => c.name === 'main');
      assert.ok(ctr !== undefined && (ctr.cpu?.usageCoreNanoSeconds ?? 0) > 0 && (ctr.memory?.workingSetBytes ?? 0) > 0, JSON.stringify(entry));
    });

    it('kubectl top pod: a busy gvisor container shows over 100m CPU, an idle one less; both show memory', async () => {
      // Arithmetic runs natively in the stub without a single system call; the Sentry's 10 ms tick
      // (platform/host/ticker.ts) still answers stats, exec and stop for the pod meanwhile.
      const burn = 'i=0; while :; do i=$((i+1)); done';
      await apply(podManifest('busy', burn), podManifest('idle', 'exec sleep 3600'));
      for (const p of ['busy', 'idle']) await waitPod(p, 'Ready', isReady);
      // metrics-server scrapes kubelet's /metrics/resource, which has the containers' counters from tsvisor.
      const resource = await cluster.kubectlOk(['get', '--raw', `/api/v1/nodes/${cluster.nodeName}/proxy/metrics/resource`]);
      for (const p of ['busy', 'idle']) {
        assert.match(resource, new RegExp(`^container_cpu_usage_seconds_total\\{container="main",namespace="default",pod="${p}"\\} \\S+ \\d+$`, 'm'));
        assert.match(resource, new RegExp(`^container_memory_working_set_bytes\\{container="main",namespace="default",pod="${p}"\\} [1-9]\\S* \\d+$`, 'm'));
      }
      // CPU is the rate between two scrapes after the container started: a few metric resolutions.
      const top = new Map<string, { cpuMilli: number; memMi: number }>();
      let out = '';
      for (const deadline = Date.now() + 90_000; top.size < 2 && Date.now() < deadline; await sleep(2000)) {
        for (const name of ['busy', 'idle'].filter((n) => !top.has(n))) {
          const r = await cluster.kubectl(['top', 'pod', name, '--no-headers']);
          out = `${name}: ${r.code}: ${r.stdout}${r.stderr}`;
          if (r.code !== 0) continue; // "metrics not available yet"
          const m = /^(busy|idle) +(\d+)m +(\d+)Mi +\n$/.exec(r.stdout);
          assert.ok(m !== null && m[1] === name, `kubectl top pod ${name}: ${JSON.stringify(r.stdout)}`);
          top.set(name, { cpuMilli: Number(m[2]), memMi: Number(m[3]) });
        }
      }
      assert.equal(top.size, 2, `kubectl top pod never listed both pods: ${out}\n${cluster.diagnostics()}`);
      const [busy, idle] = [top.get('busy')!, top.get('idle')!];
      assert.ok(busy.cpuMilli > 100, `busy: ${JSON.stringify(top.get('busy'))}`);
      assert.ok(busy.cpuMilli > idle.cpuMilli, JSON.stringify(Object.fromEntries(top)));
      // The same numbers through the metrics API (client-node): memory in bytes (kubectl rounds to Mi),
      // a shell's stub at least 100 KiB.
      const metrics = (await cluster.api.metrics.getPodMetrics('default')).items.filter((m) => ['busy', 'idle'].includes(m.metadata.name));
      assert.deepEqual(metrics.map((m) => [m.metadata.name, m.containers.map((c) => c.name)]).sort(), [['busy', ['main']], ['idle', ['main']]]);
      for (const m of metrics) assert.ok(quantityBytes(m.containers[0].usage.memory) > 100 * 1024, JSON.stringify(m));
      await deletePods('busy', 'idle');
    });
  });
  describe('item 5: networking (nginx in gvisor behind a ClusterIP Service, pod to pod, port-forward)', () => {
    const labels = { test: 'workloads', net: 'item5' };
    let serviceIp: string;
    /** The nginx replicas: pod name -> pod IP. */
    let replicas: Map<string, string>;
    let runcIp: string;
    const RUNC_PAGE = 'served by busybox httpd in a runc pod\n';

    /** `wget -qO- url` in `pod`, retried for up to `timeoutSec` (kube-proxy programs a new Service a little later). */
    async function fetchIn(pod: string, url: string, timeoutSec = 60): Promise<string> {
      let last = '';
      for (const deadline = Date.now() + timeoutSec * 1000; Date.now() < deadline; await sleep(500)) {
        // busybox timeout, not wget -T: Debian's busybox 1.35 wget crashes (SIGSEGV) with -T, natively too.
        const r = await cluster.kubectl(['exec', pod, '--', 'timeout', '10', 'wget', '-qO-', url]);
        if (r.code === 0) return r.stdout;
        last = `exit ${r.code}: ${r.stderr}`;
      }
      return assert.fail(`${pod}: wget ${url} failed for ${timeoutSec} s: ${last}\n${cluster.diagnostics()}`);
    }

    before(async () => {
      const nginx = imageRef(cluster.registry, NGINX_IMAGE);
      const httpd = `mkdir -p /tmp/www && printf '${RUNC_PAGE.replace('\n', '\\n')}' > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www`;
      await apply(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'nginx', namespace: 'default', labels },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'nginx' } },
            template: {
              metadata: { labels: { ...labels, app: 'nginx' } },
              spec: {
                runtimeClassName: 'gvisor',
                terminationGracePeriodSeconds: 1,
                // kubelet's HTTP probe comes from the host through the CNI bridge: host to pod.
                containers: [{ name: 'nginx', image: nginx, ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 } }],
              },
            },
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'nginx', namespace: 'default', labels },
          spec: { type: 'ClusterIP', selector: { app: 'nginx' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] },
        },
        { ...podManifest('client-gvisor', 'exec sleep 3600'), metadata: { name: 'client-gvisor', namespace: 'default', labels } },
        { ...podManifest('client-runc', httpd, { gvisor: false }), metadata: { name: 'client-runc', namespace: 'default', labels } },
      );
      await cluster.kubectlOk(['rollout', 'status', 'deployment/nginx', '--timeout=180s']);
      for (const p of ['client-gvisor', 'client-runc']) await waitPod(p, 'Ready', isReady);
      const pods = await cluster.api.pods('app=nginx');
      replicas = new Map(pods.filter(isReady).map((p) => [p.metadata?.name ?? '', p.status?.podIP ?? '']));
      runcIp = (await getPod('client-runc')).status?.podIP ?? '';
      serviceIp = (await cluster.api.service('nginx')).spec?.clusterIP ?? '';
    });

    after(async () => {
      await cluster.kubectlOk(['delete', 'deployment,service,pod', '-l', 'net=item5', '--wait=true']);
    });

    it('2 nginx replicas in gvisor become Available with their CNI IPs as the Service endpoints', async () => {
      assert.equal(replicas.size, 2);
      for (const ip of replicas.values()) assert.match(ip, /^10\.237\.\d+\.\d+$/, "tsvisor cri's bridge");
      assert.match(runcIp, /^10\.234\.\d+\.\d+$/, "containerd's bridge");
      assert.ok(serviceIp.startsWith('10.96.0.'), serviceIp);
      const sandboxes = JSON.parse((await crictl(cluster.cri, ['pods', '-o', 'json', '--label', 'app=nginx', '--state', 'ready'])).stdout) as { items: { runtimeHandler: string }[] };
      assert.deepEqual(sandboxes.items.map((x) => x.runtimeHandler), ['gvisor', 'gvisor']);
      const want = [...replicas.values()].map((ip) => `${ip}:80`).sort();
      // The EndpointSlice controller lists Ready pods asynchronously, after the rollout is complete.
      let endpoints: string[] = [];
      for (let i = 0; i < 60; i++) {
        const slices = await cluster.api.endpointSlices('nginx');
        endpoints = slices.flatMap((sl) => sl.endpoints.filter((e) => e.conditions?.ready === true).flatMap((e) => e.addresses.map((a) => `${a}:${sl.ports?.[0].port}`))).sort();
        if (endpoints.join() === want.join()) break;
        await sleep(500);
      }
      assert.deepEqual(endpoints, want);
    });

    for (const client of ['client-gvisor', 'client-runc']) {
      it(`${client} gets the nginx page through the Service's ClusterIP, from both replicas`, async () => {
        assert.equal(await fetchIn(client, `http://${serviceIp}/`), INDEX_HTML);
        // kube-proxy picks an endpoint at random per connection: both replicas answer within a few tries.
        const seen = new Set<string>();
        for (let i = 0; i < 40 && seen.size < 2; i++) seen.add((await fetchIn(client, `http://${serviceIp}/hostname`)).trim());
        assert.deepEqual([...seen].sort(), [...replicas.keys()].sort());
      });
    }

    it('pod to pod: a gvisor pod and a runc pod reach each nginx replica (gvisor) at its pod IP', async () => {
      const gvisorIp = (await getPod('client-gvisor')).status?.podIP;
      for (const client of ['client-gvisor', 'client-runc']) {
        for (const [name, ip] of replicas) {
          assert.equal(await fetchIn(client, `http://${ip}/`, 10), INDEX_HTML, `${client} -> ${name}`);
          assert.equal(await fetchIn(client, `http://${ip}/hostname`, 10), `${name}\n`, `${client} -> ${name}`);
          // On the same bridge the server sees the client's pod IP; from containerd's bridge, the CNI
          // bridge plugin's ipMasq rule has masqueraded it to the gateway of the replicas' bridge.
          const seenAs = client === 'client-gvisor' ? gvisorIp : ip.replace(/\.\d+$/, '.1');
          assert.equal(await fetchIn(client, `http://${ip}/client`, 10), `${seenAs}\n`, `${client} -> ${name}`);
        }
      }
    });

    it('pod to pod: a gvisor pod reaches a runc pod at its pod IP, and the nginx replicas reach each other', async () => {
      assert.equal(await fetchIn('client-gvisor', `http://${runcIp}:8080/`, 10), RUNC_PAGE);
      const [[a, ipA], [b, ipB]] = [...replicas];
      assert.equal(await fetchIn(a, `http://${ipB}/hostname`, 10), `${b}\n`);
      assert.equal(await fetchIn(b, `http://${ipA}/hostname`, 10), `${a}\n`);
    });

    it('kubectl port-forward pod/<nginx replica> LOCALPORT:80 serves the page on the host', async () => {
      const [name] = [...replicas.keys()];
      const port = await freePort();
      const child = spawn(clusterBins().kube('kubectl'), ['--kubeconfig', cluster.kubeconfig, 'port-forward', `pod/${name}`, `${port}:80`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      try {
        for (const deadline = Date.now() + 30_000; !out.includes(`Forwarding from 127.0.0.1:${port} -> 80`); await sleep(100)) {
          if (Date.now() > deadline || child.exitCode !== null) assert.fail(`kubectl port-forward: ${out}`);
        }
        // Several connections through one port-forward session, each its own stream into the Sentry.
        assert.deepEqual(await get(`http://127.0.0.1:${port}/`), { status: 200, body: INDEX_HTML });
        assert.deepEqual(await get(`http://127.0.0.1:${port}/hostname`), { status: 200, body: `${name}\n` });
        assert.deepEqual(await get(`http://127.0.0.1:${port}/missing`).then((r) => r.status), 404);
        assert.equal(child.exitCode, null, `still forwarding: ${out}`);
      } finally {
        child.kill();
      }
    });
  });
});
