/**
 * Issue 4, acceptance 1: crictl against `tsvisor cri` — pull from the
 * local registry, runp with handler gvisor, create, start, logs, exec,
 * stats, inspect, stop, rm, rmp, rmi — with exact outputs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { crictl, cniConflist, CriServer, processesMentioning, PushedRegistry, run, startCriServer, withPushedImages } from './harness';
import { crictlPath } from './tools';
import { freshDir } from '../syscalls/harness';

/** The crictl command line `crictl()` runs, for a shell. */
function crictlCommand(cri: CriServer): string {
  return `${crictlPath()} --config /dev/null --runtime-endpoint ${cri.endpoint} --image-endpoint ${cri.endpoint} --timeout 60s`;
}

describe('crictl against tsvisor cri (gvisor handler)', function () {
  this.timeout(120_000);
  let reg: PushedRegistry;
  let cri: CriServer;
  let dir: string;
  let podId = '';
  let ctrId = '';
  const bridge = `tsvcri${process.pid % 200}`;

  async function ok(args: string[], input?: string): Promise<string> {
    const r = await crictl(cri, args, { input });
    assert.equal(r.code, 0, `crictl ${args.join(' ')} failed: ${r.stderr}${r.stdout}\nserver log (end):\n${cri.log().slice(-3000)}`);
    return r.stdout;
  }

  /** The container's status once it exited (exit events reach the server asynchronously). */
  async function exited(id: string): Promise<{ state: string; exitCode: number; reason: string }> {
    for (let i = 0; ; i++) {
      const st = (JSON.parse(await ok(['inspect', id])) as { status: { state: string; exitCode: number; reason: string } }).status;
      if (st.state === 'CONTAINER_EXITED' || i === 100) return st;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  function writeJson(name: string, v: object): string {
    const p = path.join(dir, name);
    fs.writeFileSync(p, JSON.stringify(v));
    return p;
  }

  before(async () => {
    dir = freshDir('crictl');
    const netDir = path.join(dir, 'net.d');
    fs.mkdirSync(netDir);
    const slot = process.pid % 200;
    fs.writeFileSync(path.join(netDir, '10-tsvisor.conflist'), cniConflist('tsvisor-e2e', bridge, `10.235.${slot}.0/24`, path.join(dir, 'ipam')));
    reg = await withPushedImages();
    cri = await startCriServer({ args: ['--cni-conf-dir', netDir, '--insecure-registries', reg.host] });
  });

  after(async () => {
    if (podId) await crictl(cri, ['rmp', '-f', podId]);
    await cri?.stop();
    await reg?.stop();
    await run('ip', ['link', 'delete', bridge]); // CNI leaves its bridge after the last pod
  });

  it('pulls an image from the local registry and reports it', async () => {
    await ok(['pull', reg.ref('tsvisor-test/busybox:1.0')]);
    const images = await ok(['images', '-q']);
    assert.match(images, /^sha256:[0-9a-f]{64}$/m);
    const inspect = JSON.parse(await ok(['inspecti', reg.ref('tsvisor-test/busybox:1.0')])) as { status: { repoTags: string[] } };
    assert.deepEqual(inspect.status.repoTags, [reg.ref('tsvisor-test/busybox:1.0')]);
  });

  it('runs a pod with handler gvisor; its IP comes from CNI', async () => {
    const pod = writeJson('pod.json', {
      metadata: { name: 'web', namespace: 'e2e', uid: 'uid-1', attempt: 0 },
      hostname: 'webhost', log_directory: path.join(dir, 'logs'), linux: {},
    });
    podId = (await ok(['runp', '--runtime', 'gvisor', pod])).trim();
    assert.match(podId, /^[0-9a-f]{64}$/);
    const st = JSON.parse(await ok(['inspectp', podId])) as { status: { state: string; network: { ip: string }; runtimeHandler: string } };
    assert.equal(st.status.state, 'SANDBOX_READY');
    assert.equal(st.status.runtimeHandler, 'gvisor');
    assert.match(st.status.network.ip, new RegExp(`^10\\.235\\.${process.pid % 200}\\.\\d+$`));
  });

  it('creates and starts a container whose output reaches crictl logs', async () => {
    const ctr = writeJson('ctr.json', {
      metadata: { name: 'main' },
      image: { image: reg.ref('tsvisor-test/busybox:1.0') },
      command: ['/bin/sh', '-c', 'echo hello from $(hostname); echo to-stderr >&2; cat /etc/hostname; exec sleep 1000'],
      log_path: 'main.log', linux: {},
    });
    const pod = path.join(dir, 'pod.json');
    ctrId = (await ok(['create', podId, ctr, pod])).trim();
    await ok(['start', ctrId]);
    let logs = '';
    for (let i = 0; i < 50 && logs !== 'hello from webhost\nwebhost\n'; i++) {
      logs = (await crictl(cri, ['logs', ctrId])).stdout;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(logs, 'hello from webhost\nwebhost\n');
    const both = await crictl(cri, ['logs', ctrId]);
    assert.equal(both.stderr, 'to-stderr\n');
    const st = JSON.parse(await ok(['inspect', ctrId])) as { status: { state: string; logPath: string } };
    assert.equal(st.status.state, 'CONTAINER_RUNNING');
    assert.equal(st.status.logPath, path.join(dir, 'logs', 'main.log'));
  });

  it('exec runs in the container and reports its exit code', async () => {
    // crictl exec -s prints the command's stdout and then its stderr, each followed by a newline.
    assert.equal(await ok(['exec', '-s', ctrId, '/bin/sh', '-c', 'echo $((6*7)); id -u; echo oops >&2']), '42\n0\n\noops\n\n');
    // crictl's CRI client turns a non-zero exit code into an error naming it.
    const r = await crictl(cri, ['exec', '-s', ctrId, '/bin/sh', '-c', 'exit 3']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exited with 3/);
  });

  it('exec -i streams stdin to the command and its stdout and stderr back', async () => {
    const r = await crictl(cri, ['exec', '-i', ctrId, '/bin/sh', '-c', 'tr a-z A-Z; echo done >&2; exit 4'], { input: 'hello stdin\n' });
    assert.equal(r.stdout, 'HELLO STDIN\n');
    // crictl reports a non-zero exit status of a streamed exec as an error naming it.
    assert.equal(r.code, 1, JSON.stringify(r));
    assert.match(r.stderr, /^done\n/);
    assert.match(r.stderr, /exit code 4/);
  });

  it('exec -it gives the command a terminal in the sandbox', async () => {
    // crictl wants a terminal of its own for -t: run it under script(1).
    const cmd = `${crictlCommand(cri)} exec -it ${ctrId} /bin/sh -c 'tty; stty size; test -t 0 && echo stdin-is-a-tty'`;
    // script's input stays open until it exits (at EOF it would type ^D into the terminal).
    const child = spawn('/usr/bin/script', ['-qec', `stty rows 33 cols 101; ${cmd}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    const r = { code, stdout };
    assert.equal(r.code, 0, JSON.stringify(r));
    assert.equal(r.stdout.replace(/\r/g, ''), '/dev/pts/0\n33 101\nstdin-is-a-tty\n', JSON.stringify(r));
  });

  it('attach -i feeds a stdin_once container and streams its output until it exits', async () => {
    const ctr = writeJson('reader.json', {
      metadata: { name: 'reader' },
      image: { image: reg.ref('tsvisor-test/busybox:1.0') },
      command: ['/bin/sh', '-c', 'while read l; do echo "got $l"; done; echo bye >&2; exit 5'],
      stdin: true, stdin_once: true, log_path: 'reader.log', linux: {},
    });
    const id = (await ok(['create', podId, ctr, path.join(dir, 'pod.json')])).trim();
    await ok(['start', id]);
    const r = await crictl(cri, ['attach', '-i', id], { input: 'a\nb\n' });
    assert.equal(r.stdout, 'got a\ngot b\n', JSON.stringify(r));
    assert.match(r.stderr, /^bye\n/);
    const st = await exited(id);
    assert.deepEqual([st.state, st.exitCode], ['CONTAINER_EXITED', 5]);
    assert.equal((await crictl(cri, ['logs', id])).stdout, 'got a\ngot b\n');
    await ok(['rm', id]);
  });

  it('mounts: a host directory read-write and read-only, and a host file, as Gofer mounts and a copy; one Gofer process serves the root and both mounts', async () => {
    const data = path.join(dir, 'data');
    const conf = path.join(dir, 'conf');
    fs.mkdirSync(data);
    fs.mkdirSync(conf);
    fs.writeFileSync(path.join(conf, 'settings'), 'mode=ro\n');
    fs.writeFileSync(path.join(dir, 'motd'), 'hello motd\n');
    const ctr = writeJson('mounts.json', {
      metadata: { name: 'mounts' },
      image: { image: reg.ref('tsvisor-test/busybox:1.0') },
      command: ['/bin/sh', '-c', 'echo written > /data/out; cat /conf/settings /etc/motd; echo x > /conf/new || echo ro-refused; exec sleep 1000'],
      mounts: [
        { container_path: '/data', host_path: data },
        { container_path: '/conf', host_path: conf, readonly: true },
        { container_path: '/etc/motd', host_path: path.join(dir, 'motd'), readonly: true },
      ],
      log_path: 'mounts.log', linux: {},
    });
    const id = (await ok(['create', podId, ctr, path.join(dir, 'pod.json')])).trim();
    await ok(['start', id]);
    const expected = 'mode=ro\nhello motd\nro-refused\n';
    let logs = '';
    for (let i = 0; i < 50 && logs !== expected; i++) {
      logs = (await crictl(cri, ['logs', id])).stdout;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(logs, expected);
    assert.equal(fs.readFileSync(path.join(data, 'out'), 'utf8'), 'written\n');
    assert.equal(fs.existsSync(path.join(conf, 'new')), false);
    // Every process naming either mount source: the one Gofer, its root first (read-only), then the mounts.
    const gofers = processesMentioning([data, conf]);
    assert.equal(gofers.length, 1, gofers.join('\n'));
    assert.match(gofers[0], new RegExp(`/gofer/main\\.js --tree 3:ro:/\\S+ --tree 4:rw:${data} --tree 5:ro:${conf}$`));
    await ok(['stop', '-t', '0', id]);
    await ok(['rm', id]);
    for (let i = 0; i < 50 && processesMentioning([data, conf]).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(processesMentioning([data, conf]), []);
  });

  it('a restarted container (same name, next attempt) runs in the same pod', async () => {
    const spec = (attempt: number) => writeJson(`again-${attempt}.json`, {
      metadata: { name: 'again', attempt },
      image: { image: reg.ref('tsvisor-test/busybox:1.0') },
      command: ['/bin/sh', '-c', `echo run ${attempt}; exit ${attempt}`],
      log_path: `again-${attempt}.log`, linux: {},
    });
    for (const attempt of [0, 1]) {
      const id = (await ok(['create', podId, spec(attempt), path.join(dir, 'pod.json')])).trim();
      await ok(['start', id]);
      assert.equal((await exited(id)).exitCode, attempt);
      assert.equal((await crictl(cri, ['logs', id])).stdout, `run ${attempt}\n`);
    }
  });

  it('port-forward reaches servers in the pod through its own stack; a refused port is reported', async () => {
    // nc on 0.0.0.0 upper-cases each connection; httpd listens on the pod's 127.0.0.1 only.
    const ctr = writeJson('servers.json', {
      metadata: { name: 'servers' },
      image: { image: reg.ref('tsvisor-test/busybox:1.0') },
      command: ['/bin/sh', '-c', 'mkdir /www; echo "forwarded page" > /www/index.html; httpd -p 127.0.0.1:8081 -h /www; exec nc -ll -p 8080 -e tr a-z A-Z'],
      log_path: 'servers.log', linux: {},
    });
    const id = (await ok(['create', podId, ctr, path.join(dir, 'pod.json')])).trim();
    await ok(['start', id]);
    const child = spawn('/bin/sh', ['-c', `exec ${crictlCommand(cri)} port-forward ${podId} :8080 :8081 :8082`], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const local = new Map<number, number>();
      while (local.size < 3) {
        if (child.exitCode !== null) assert.fail(`crictl port-forward exited: ${out}${err}`);
        for (const m of out.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)) local.set(Number(m[2]), Number(m[1]));
        await new Promise((r) => setTimeout(r, 50));
      }
      /** Sends `data` to the forwarded port, half-closes, and returns all it read until EOF. */
      const exchange = async (port: number, data: string): Promise<string> => {
        const sock = net.connect(local.get(port)!, '127.0.0.1');
        sock.setEncoding('latin1');
        let got = '';
        sock.on('data', (d: string) => (got += d));
        sock.end(data);
        await once(sock, 'close');
        return got;
      };
      const text = Array.from({ length: 20_000 }, (_, i) => `line ${i} of the forwarded text\n`).join('');
      // The first connections may come before nc listens (then they are refused and end empty).
      let back = '';
      for (let i = 0; i < 100 && back === ''; i++) {
        back = await exchange(8080, text);
        if (back === '') await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(back, text.toUpperCase());
      const curl = await run('curl', ['-sS', '--max-time', '20', `http://127.0.0.1:${local.get(8081)}/index.html`]);
      assert.equal(curl.code, 0, curl.stderr);
      assert.equal(curl.stdout, 'forwarded page\n');
      // Nothing listens on 8082 in the pod: the connection ends at once and crictl names the Sentry's error.
      assert.equal(await exchange(8082, 'anyone?'), '');
      for (let i = 0; i < 50 && !/127\.0\.0\.1:8082 in the pod: ECONNREFUSED/.test(err); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(err, /error forwarding port 8082: port-forward to 127\.0\.0\.1:8082 in the pod: ECONNREFUSED/);
    } finally {
      child.kill();
      await ok(['stop', '-t', '1', id]);
      await ok(['rm', id]);
    }
  });

  it('stats: the container memory and CPU from its stubs, its writable layer from the overlay', async () => {
    await ok(['exec', '-s', ctrId, '/bin/sh', '-c', 'head -c 3000000 /dev/zero > /big']);
    const stats = JSON.parse(await ok(['stats', '-o', 'json', ctrId])) as {
      stats: Array<{ attributes: { id: string }; memory: { workingSetBytes: { value: string } }; writableLayer: { usedBytes: { value: string } } }>;
    };
    assert.equal(stats.stats.length, 1);
    assert.equal(stats.stats[0].attributes.id, ctrId);
    const layer = Number(stats.stats[0].writableLayer.usedBytes.value);
    assert.ok(layer >= 3_000_000 && layer < 3_100_000, `writable layer ${layer}`);
    assert.ok(Number(stats.stats[0].memory.workingSetBytes.value) > layer);
    const pod = JSON.parse(await ok(['statsp', '-o', 'json', podId])) as { stats: Array<{ linux: { memory: { workingSetBytes: { value: string } } } }> };
    assert.ok(Number(pod.stats[0].linux.memory.workingSetBytes.value) > 0);
  });

  it('stop, rm, rmp and rmi clean up; rmi of an image in use is refused', async () => {
    const inUse = await crictl(cri, ['rmi', reg.ref('tsvisor-test/busybox:1.0')]);
    assert.notEqual(inUse.code, 0);
    await ok(['stop', '-t', '1', ctrId]);
    const st = JSON.parse(await ok(['inspect', ctrId])) as { status: { state: string; exitCode: number; reason: string } };
    assert.equal(st.status.state, 'CONTAINER_EXITED');
    // crictl's pod shares one PID namespace (pid: POD): the container's sleep is no namespace init and dies of SIGTERM, as under runc.
    assert.equal(st.status.exitCode, 143);
    await ok(['rm', ctrId]);
    await ok(['stopp', podId]);
    await ok(['rmp', podId]);
    podId = '';
    assert.equal((await ok(['pods', '-q'])).trim(), '');
    await ok(['rmi', reg.ref('tsvisor-test/busybox:1.0')]);
    assert.equal((await ok(['images', '-q'])).trim(), '');
  });
});
