/**
 * The pod Sentry driven through its control socket, as the CRI server
 * drives it: containers on their own Gofers with CRI-format logs, exec'd
 * processes with passed stdio, signals with init semantics, exit events,
 * a second client after the first went away, shutdown; a pod sharing one
 * PID namespace, whose pid 1 is a pause process; one IPC namespace.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { compileC, freshDir } from '../syscalls/harness';
import { tinyRootfs } from '../syscalls/fixtures';
import { startContainerGofer, startSentry, RunningSentry } from '../../cri/sandbox/launch';
import { SentryClient, SentryRequestError } from '../../cri/sandbox/control';
import type { ExitEvent, FileSpec, ProcessSpec } from '../../sentry/control/protocol';
import { closeFd, socketPair } from '../../sentry/platform/host/fdio';

/** A pod file put into each container's root (the directory /etc does not exist in the rootfs). */
const hostsFile = { path: '/etc/hosts', data: Buffer.from('10.1.2.3 podhost\n').toString('base64'), mode: 0o644 };

const CRI_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) (F|P) (.*)$/;

function spec(argv: string[], o: Partial<ProcessSpec> = {}): ProcessSpec {
  return { argv, envp: ['PATH=/bin'], cwd: '/', uid: 0, gid: 0, groups: [], ...o };
}

/** The log's records as [stream, tag, text]. */
function records(file: string): Array<[string, string, string]> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = CRI_LINE.exec(l);
      assert.ok(m, `not a CRI log line: ${JSON.stringify(l)}`);
      return [m[1], m[2], m[3]];
    });
}

function exitOf(client: SentryClient, container: string, exec?: string): Promise<ExitEvent> {
  return new Promise((resolve) => {
    const on = (e: ExitEvent): void => {
      if (e.container === container && e.exec === exec) {
        client.off('exit', on);
        resolve(e);
      }
    };
    client.on('exit', on);
  });
}

/** Runs `script` with /bin/sh as exec `exec` in `container`, stdout to a socket pair: what it wrote and its wait status. */
async function execScript(
  client: SentryClient, container: string, exec: string, script: string, o: Partial<ProcessSpec> = {},
): Promise<{ out: string; status: number }> {
  const [ours, theirs] = socketPair();
  const done = exitOf(client, container, exec);
  try {
    await client.request({ op: 'exec', container, exec, ...spec(['/bin/sh', '-c', script], o) }, [{ name: 'stdout', fd: theirs }]);
  } finally {
    closeFd(theirs);
  }
  const reader = new net.Socket({ fd: ours, readable: true, writable: false });
  let out = '';
  reader.on('data', (d: Buffer) => (out += d.toString()));
  await once(reader, 'end');
  reader.destroy();
  return { out, status: (await done).status };
}

describe('pod sentry (tsvisor sandbox) over its control socket', function () {
  this.timeout(60_000);
  let sentry: RunningSentry;
  let rootfs: string;
  let dir: string;

  before(async () => {
    rootfs = tinyRootfs();
    fs.chmodSync(rootfs, 0o755); // non-root users must be able to search it
    dir = freshDir('pod');
    sentry = await startSentry({ runDir: path.join(dir, 'run'), hostname: 'podhost' });
  });

  after(async () => {
    if (sentry.client.connected) {
      const closed = once(sentry.client, 'close');
      await sentry.client.request({ op: 'shutdown' }).catch(() => undefined);
      await closed;
    }
  });

  async function startContainer(
    id: string, argv: string[], o: Partial<ProcessSpec> = {}, root: { rootReadOnly: boolean; files: FileSpec[] } = { rootReadOnly: false, files: [hostsFile] },
  ): Promise<string> {
    const logPath = path.join(dir, `${id}.log`);
    const log = fs.openSync(logPath, 'a');
    const gofer = startContainerGofer(rootfs, true);
    try {
      await sentry.client.request({ op: 'start', container: id, mounts: [], ...root, ...spec(argv, o) }, [
        { name: 'gofer:/', fd: gofer },
        { name: 'log', fd: log },
      ]);
    } finally {
      fs.closeSync(log);
      closeFd(gofer);
    }
    return logPath;
  }

  it('runs a container: stdout and stderr as CRI log records, exit status in the event, hostname of the pod', async () => {
    const done = exitOf(sentry.client, 'c1');
    const log = await startContainer('c1', ['/bin/sh', '-c', 'echo one; echo two >&2; printf "no newline"; hostname >&2; exit 3']);
    const e = await done;
    assert.equal(e.status, 3 << 8);
    const recs = records(log);
    assert.deepEqual(
      recs.filter((r) => r[0] === 'stdout'),
      [['stdout', 'F', 'one'], ['stdout', 'F', 'no newline']],
    );
    assert.deepEqual(
      recs.filter((r) => r[0] === 'stderr'),
      [['stderr', 'F', 'two'], ['stderr', 'F', 'podhost']],
    );
    const list = await sentry.client.request({ op: 'list' });
    assert.equal(list.processes?.find((p) => p.container === 'c1')?.status, 3 << 8);
    await sentry.client.request({ op: 'remove', container: 'c1' });
  });

  it('a missing program fails the start with 127 and leaves no container', async () => {
    await assert.rejects(startContainer('c2', ['/bin/nope']), (e: unknown) => e instanceof SentryRequestError && e.code === 127);
    const list = await sentry.client.request({ op: 'list' });
    assert.equal(list.processes?.some((p) => p.container === 'c2'), false);
  });

  it('exec runs a new process in a running container with passed stdio; SIGTERM to an init without a handler is ignored, SIGKILL is not', async () => {
    await startContainer('c3', ['/bin/sh', '-c', 'echo ready > /tmp/state; exec sleep 1000']);
    const r = await execScript(sentry.client, 'c3', 'e1', 'cat /tmp/state /etc/hosts; id -u; exit 7', { uid: 1000 });
    assert.deepEqual(r, { out: 'ready\n10.1.2.3 podhost\n1000\n', status: 7 << 8 });

    const killed = exitOf(sentry.client, 'c3');
    // The reply says the signal was dropped, so a stopping runtime knows to offer it again.
    assert.equal((await sentry.client.request({ op: 'signal', container: 'c3', signal: 15 })).delivered, false);
    const stillRunning = await Promise.race([killed.then(() => false), new Promise((r) => setTimeout(() => r(true), 300))]);
    assert.equal(stillRunning, true, 'SIGTERM ended an init that has no handler');
    assert.equal((await sentry.client.request({ op: 'signal', container: 'c3', signal: 9 })).delivered, undefined);
    assert.equal((await killed).status, 9);
    await sentry.client.request({ op: 'remove', container: 'c3' });
  });

  it('a read-only root refuses writes; the pod files are mounted over their paths and stay writable', async () => {
    const done = exitOf(sentry.client, 'c5');
    const script = 'echo x > /new; echo 10.9.9.9 extra >> /hosts && cat /hosts';
    const log = await startContainer('c5', ['/bin/sh', '-c', script], {}, { rootReadOnly: true, files: [{ ...hostsFile, path: '/hosts' }] });
    assert.equal((await done).status, 0);
    assert.deepEqual(records(log).map((r) => `${r[0]} ${r[2]}`), [
      'stderr /bin/sh: can\'t create /new: Read-only file system',
      'stdout 10.1.2.3 podhost',
      'stdout 10.9.9.9 extra',
    ]);
    await sentry.client.request({ op: 'remove', container: 'c5' });
  });

  it('a set-user-ID executable raises the effective uid, unless the process has no_new_privs', async () => {
    const probe = path.join(rootfs, 'bin', 'ids');
    fs.copyFileSync(compileC('ids'), probe);
    fs.chmodSync(probe, 0o6755); // set-uid and set-gid root
    const raised = 'ruid=1000 euid=0 rgid=1000 egid=0 secure=1';
    for (const [id, noNewPrivs, want] of [['s1', false, raised], ['s2', true, 'ruid=1000 euid=1000 rgid=1000 egid=1000 secure=0']] as const) {
      const done = exitOf(sentry.client, id);
      const log = await startContainer(id, ['/bin/ids'], { uid: 1000, gid: 1000, noNewPrivs });
      assert.equal((await done).status, 0);
      assert.deepEqual(records(log), [['stdout', 'F', want]]);
      await sentry.client.request({ op: 'remove', container: id });
    }
  });

  it('the pod\'s containers share one IPC namespace: a System V segment left by one is read by the next', async () => {
    fs.copyFileSync(compileC('shmkey'), path.join(rootfs, 'bin', 'shmkey'));
    const run = async (id: string, argv: string[]): Promise<Array<[string, string, string]>> => {
      const done = exitOf(sentry.client, id);
      const log = await startContainer(id, argv);
      assert.equal((await done).status, 0, JSON.stringify(records(log)));
      await sentry.client.request({ op: 'remove', container: id });
      return records(log);
    };
    assert.deepEqual(await run('ipc1', ['/bin/shmkey', 'put', '0x5eed', 'left by ipc1']), []);
    assert.deepEqual(await run('ipc2', ['/bin/shmkey', 'get', '0x5eed']), [['stdout', 'F', 'left by ipc1']]);
  });

  it('an exec whose reader stops reading parks alone; the rest of the pod keeps running', async () => {
    await startContainer('c5', ['/bin/sh', '-c', 'exec sleep 1000']);
    const [stuckOurs, stuckTheirs] = socketPair();
    const flooded = exitOf(sentry.client, 'c5', 'flood');
    await sentry.client.request({ op: 'exec', container: 'c5', exec: 'flood', ...spec(['/bin/sh', '-c', 'yes | head -c 50000000']) }, [
      { name: 'stdout', fd: stuckTheirs },
    ]);
    closeFd(stuckTheirs);
    assert.deepEqual(await execScript(sentry.client, 'c5', 'probe', 'echo alive'), { out: 'alive\n', status: 0 });
    await sentry.client.request({ op: 'signal', container: 'c5', exec: 'flood', signal: 9 });
    closeFd(stuckOurs);
    assert.equal((await flooded).status, 9);
    await sentry.client.request({ op: 'signal', container: 'c5', signal: 9 });
  });

  it('stubs killed from outside (as by the host OOM killer) end their processes; the Sentry keeps serving', async () => {
    const sentryPid = sentry.client.sentryPid;
    const stubs = (): number[] =>
      fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
        try {
          const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === sentryPid && stat.includes('(tsvisor-stub)');
        } catch {
          return false;
        }
      });
    // Only the container's: the Sentry's template stub and other containers stay.
    const before = new Set(stubs());
    await startContainer('c6', ['/bin/sh', '-c', 'while :; do /bin/sh -c "echo x > /dev/null"; done']);
    let killed = 0;
    for (const end = Date.now() + 2000; Date.now() < end; await new Promise((r) => setTimeout(r, 5))) {
      for (const pid of stubs().filter((p) => !before.has(p))) {
        try {
          process.kill(pid, 'SIGKILL');
          killed++;
        } catch {
          /* already gone */
        }
      }
    }
    assert.ok(killed > 0, 'no stub was found to kill');
    const list = await sentry.client.request({ op: 'list' });
    assert.ok(list.processes !== undefined);
    const done = exitOf(sentry.client, 'c6');
    await sentry.client.request({ op: 'signal', container: 'c6', signal: 9 });
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    assert.ok(sentry.client.connected, 'the Sentry died');
  });

  describe('portForward: connections to 127.0.0.1:PORT on the pod\'s own stack', () => {
    /** A forwarded connection: our end of the socket pair, or the Sentry's refusal. */
    async function forward(port: number, client = sentry.client): Promise<net.Socket> {
      const [ours, theirs] = socketPair();
      try {
        await client.request({ op: 'portForward', port }, [{ name: 'stream', fd: theirs }]);
      } catch (e) {
        closeFd(ours);
        throw e;
      } finally {
        closeFd(theirs);
      }
      return new net.Socket({ fd: ours, readable: true, writable: true, allowHalfOpen: true });
    }

    /** Sends `data`, half-closes, and returns everything read until EOF. */
    async function exchange(sock: net.Socket, data: Buffer | string): Promise<Buffer> {
      const chunks: Buffer[] = [];
      sock.on('data', (d: Buffer) => chunks.push(d));
      const end = once(sock, 'end');
      sock.end(data);
      await end;
      sock.destroy();
      return Buffer.concat(chunks);
    }

    const refused = (e: unknown): boolean => e instanceof SentryRequestError && /ECONNREFUSED/.test(e.message);

    /** The first connection once the server listens (the container starts it asynchronously). */
    async function forwardWhenListening(port: number, client = sentry.client): Promise<net.Socket> {
      for (const deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 100))) {
        try {
          return await forward(port, client);
        } catch (e) {
          if (!refused(e) || Date.now() > deadline) throw e;
        }
      }
    }

    before(async () => {
      // nc listens on 0.0.0.0 and runs `tr` on each connection; httpd only on 127.0.0.1.
      await startContainer('pf', ['/bin/sh', '-c', [
        'mkdir /tmp/www', 'echo "forwarded page" > /tmp/www/index.html',
        '(httpd -f -p 127.0.0.1:8081 -h /tmp/www &)', '(nc -ll -p 8084 -e yes &)', '(nc -ll -p 8085 -e cat &)', 'exec nc -ll -p 8080 -e tr a-z A-Z',
      ].join('; ')]);
    });

    after(async () => {
      await sentry.client.request({ op: 'signal', container: 'pf', signal: 9 }).catch(() => undefined);
    });

    it('carries bytes both ways with half-close each way: 300 KB through tr on a server listening on 0.0.0.0', async () => {
      const text = Array.from({ length: 30_000 }, (_, i) => `line ${i} abc\n`).join('').slice(0, 300_000);
      const back = await exchange(await forwardWhenListening(8080), text);
      assert.equal(back.length, text.length);
      assert.equal(back.toString(), text.toUpperCase());
    });

    it('reaches a server bound to 127.0.0.1 (busybox httpd)', async () => {
      const back = (await exchange(await forwardWhenListening(8081), 'GET /index.html HTTP/1.0\r\n\r\n')).toString();
      assert.match(back, /^HTTP\/1\.1 200 OK\r\n/);
      assert.equal(back.slice(back.indexOf('\r\n\r\n') + 4), 'forwarded page\n');
    });

    it('moves 16 MB of binary data through cat unchanged', async () => {
      const data = Buffer.alloc(16 << 20);
      for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
      const back = await exchange(await forwardWhenListening(8085), data);
      assert.equal(back.length, data.length);
      assert.ok(back.equals(data), 'the bytes came back changed');
    });

    it('a client that stops reading holds back only its own connection', async () => {
      const flood = await forwardWhenListening(8084);
      flood.pause();
      await new Promise((r) => setTimeout(r, 500)); // every buffer on the way fills up
      assert.equal((await exchange(await forward(8080), 'meanwhile')).toString(), 'MEANWHILE');
      assert.ok((await sentry.client.request({ op: 'list' })).processes);
      let got = Buffer.alloc(0);
      flood.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
      flood.resume();
      while (got.length < 4 << 20) await once(flood, 'data');
      flood.destroy();
      const whole = got.subarray(0, got.length & ~1);
      assert.ok(whole.equals(Buffer.from('y\n'.repeat(whole.length / 2))), 'yes sent something else');
    });

    it('runs several connections at once', async () => {
      const backs = await Promise.all(['one', 'two', 'three'].map(async (w) => (await exchange(await forward(8080), `${w}\n`.repeat(1000))).toString()));
      assert.deepEqual(backs, ['ONE\n'.repeat(1000), 'TWO\n'.repeat(1000), 'THREE\n'.repeat(1000)]);
    });

    it('a port nobody listens on in the pod is refused with ECONNREFUSED, even if the host listens on it; invalid ports are refused; the Sentry keeps serving', async () => {
      await assert.rejects(forward(8082), (e: unknown) => refused(e) && /127\.0\.0\.1:8082/.test((e as Error).message));
      // The host's network is never used: a host server on 127.0.0.1 is not reached.
      const hostServer = net.createServer((c) => c.end('host\n'));
      await new Promise<void>((r) => hostServer.listen(0, '127.0.0.1', r));
      try {
        await assert.rejects(forward((hostServer.address() as net.AddressInfo).port), refused);
      } finally {
        hostServer.close();
      }
      await assert.rejects(forward(0), /invalid port 0/);
      await assert.rejects(forward(70000), /invalid port 70000/);
      assert.equal((await exchange(await forward(8080), 'still here')).toString(), 'STILL HERE');
      assert.equal((await sentry.client.request({ op: 'list' })).processes?.find((p) => p.container === 'pf')?.status, undefined);
    });

    it('shutting the pod down ends its open connections', async () => {
      const other = await startSentry({ runDir: path.join(dir, 'run-shutdown'), hostname: 'podhost' });
      const gofer = startContainerGofer(rootfs, true);
      try {
        await other.client.request({ op: 'start', container: 'srv', mounts: [], rootReadOnly: false, files: [], ...spec(['/bin/sh', '-c', 'exec nc -l -p 8086 -e cat']) }, [
          { name: 'gofer:/', fd: gofer },
        ]);
      } finally {
        closeFd(gofer);
      }
      const sock = await forwardWhenListening(8086, other.client);
      sock.write('ping');
      await once(sock, 'data');
      const ended = once(sock, 'end');
      const closed = once(other.client, 'close');
      await other.client.request({ op: 'shutdown' });
      await Promise.all([ended, closed]);
      sock.destroy();
    });

    it('a client that goes away without half-closing ends the connection in the sandbox too', async () => {
      // `cat` holds the connection until it reads EOF: the pod side ends only because the host side hung up.
      await startContainer('pf2', ['/bin/sh', '-c', 'exec nc -l -p 8083 -e cat']);
      const sock = await forwardWhenListening(8083);
      const ended = exitOf(sentry.client, 'pf2');
      sock.write('x');
      await once(sock, 'data');
      sock.destroy();
      assert.equal((await ended).status, 0);
    });

    it('in host network mode (a hostNetwork pod) connects to the port in the Sentry\'s network namespace, where the app\'s sockets are host sockets', async () => {
      const probe = net.createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const port = (probe.address() as net.AddressInfo).port; // free on the host until we close it
      await new Promise((r) => probe.close(r));
      const hostPod = await startSentry({ runDir: path.join(dir, 'run-host'), hostname: 'podhost', network: 'host' });
      const gofer = startContainerGofer(rootfs, true);
      try {
        await hostPod.client.request({ op: 'start', container: 'hn', mounts: [], rootReadOnly: false, files: [], ...spec(['/bin/sh', '-c', `exec nc -ll -p ${port} -e tr a-z A-Z`]) }, [
          { name: 'gofer:/', fd: gofer },
        ]);
        closeFd(gofer);
        assert.equal((await exchange(await forwardWhenListening(port, hostPod.client), 'host mode')).toString(), 'HOST MODE');
        // The listener is the host's: a plain host client reaches it too.
        const direct = net.connect(port, '127.0.0.1');
        await once(direct, 'connect');
        assert.equal((await exchange(direct, 'direct')).toString(), 'DIRECT');
        await assert.rejects(forward(port === 65535 ? port - 1 : port + 1, hostPod.client), refused);
      } finally {
        const closed = once(hostPod.client, 'close');
        await hostPod.client.request({ op: 'shutdown' }).catch(() => undefined);
        await closed;
      }
    });
  });

  describe('a pod whose containers share one PID namespace (CRI pid mode POD): pid 1 is a pause process', () => {
    let pod: RunningSentry;

    const shell = (id: string, exec: string, script: string): Promise<{ out: string; status: number }> => execScript(pod.client, id, exec, script);

    async function startShared(id: string, argv: string[]): Promise<number> {
      const gofer = startContainerGofer(rootfs, true);
      try {
        const r = await pod.client.request({ op: 'start', container: id, mounts: [], rootReadOnly: false, files: [], ownPidNamespace: false, ...spec(argv) }, [
          { name: 'gofer:/', fd: gofer },
        ]);
        return r.pid ?? -1;
      } finally {
        closeFd(gofer);
      }
    }

    before(async () => {
      pod = await startSentry({ runDir: path.join(dir, 'run-shared'), hostname: 'podhost', sharedPidNamespace: true });
      assert.equal(await startShared('app', ['/bin/sh', '-c', 'exec sleep 1000']), 2);
    });

    after(async () => {
      if (!pod.client.connected) return;
      const closed = once(pod.client, 'close');
      await pod.client.request({ op: 'shutdown' }).catch(() => undefined);
      await closed;
    });

    it('/proc/1 is /pause (user 65535, no parent); ps lists it with the containers\' processes', async () => {
      const r = await shell('app', 'proc1', 'cat /proc/1/cmdline; echo; cat /proc/1/comm; readlink /proc/1/exe; grep -E "^(PPid|Uid):" /proc/1/status');
      assert.deepEqual(r, { out: '/pause\0\npause\n/pause\nPPid:\t0\nUid:\t65535\t65535\t65535\t65535\n', status: 0 });
      const ps = await shell('app', 'ps', 'ps -o pid,ppid,user,args');
      // No /etc/passwd: users by number. busybox runs ps inside the exec'd shell (comm ps, the shell's cmdline).
      assert.match(ps.out, /^PID +PPID +USER +COMMAND\n +1 +0 +65535 +\/pause\n +2 +0 +0 +sleep 1000\n +\d+ +0 +0 +\{ps\} \/bin\/sh -c ps -o pid,ppid,user,args\n$/);
    });

    it('adopts orphans and reaps them when they exit, zombies re-parented to it too: none is left', async () => {
      // Waits up to 5 s for pid $1 to have state $2 ('gone': no /proc entry).
      const waitfor = 'waitfor() { for i in $(seq 50); do s=$(cut -d" " -f3 /proc/$1/stat 2>/dev/null || echo gone); [ "$s" = "$2" ] && return 0; sleep 0.1; done; echo "pid $1 is $s, not $2"; }';
      // An orphan: the subshell that started it has exited (and was waited for) before cut runs.
      const orphan = await shell('app', 'orphan', [
        waitfor, '(sleep 1000 & echo $! > /tmp/o)', 'o=$(cat /tmp/o)', 'cut -d" " -f4 /proc/$o/stat', 'kill $o', 'waitfor $o gone', 'echo done',
      ].join('\n'));
      assert.deepEqual(orphan, { out: '1\ndone\n', status: 0 });
      // A zombie: `true` exits while its parent (exec'd into sleep) never waits; then the parent is killed and waited for.
      const zombie = await shell('app', 'zombie', [
        waitfor, 'sh -c \'true & echo $! > /tmp/z; exec sleep 1000\' &', 'x=$!', 'while [ ! -s /tmp/z ]; do sleep 0.1; done', 'z=$(cat /tmp/z)',
        'waitfor $z Z', 'cut -d" " -f4 /proc/$z/stat | sed "s/^$x$/parent/"', 'kill $x', 'wait', 'waitfor $z gone',
        'cat /proc/[0-9]*/stat | cut -d" " -f3 | grep -c Z || true',
      ].join('\n'));
      assert.deepEqual(zombie, { out: 'parent\n0\n', status: 0 });
    });

    it('a container that joined the namespace has no init semantics: SIGTERM from outside ends its first process', async () => {
      const done = exitOf(pod.client, 'term');
      await startShared('term', ['/bin/sh', '-c', 'exec sleep 1000']);
      assert.equal((await pod.client.request({ op: 'signal', container: 'term', signal: 15 })).delivered, undefined);
      assert.equal((await done).status, 15);
      await pod.client.request({ op: 'remove', container: 'term' });
    });

    it('signals from the pod without a pause handler (HUP, QUIT, USR1, STOP, KILL) do nothing to pid 1', async () => {
      const r = await shell('app', 'kill', 'for s in HUP QUIT USR1 STOP KILL; do kill -$s 1 || echo "kill -$s failed"; done; sleep 0.1; cat /proc/1/comm; cut -d" " -f3 /proc/1/stat');
      assert.deepEqual(r, { out: 'pause\nR\n', status: 0 });
    });

    it('SIGTERM to pid 1 ends pause (its handler exits) and so the whole pod: every process is killed, the Sentry exits', async () => {
      const appKilled = exitOf(pod.client, 'app');
      const closed = once(pod.client, 'close');
      await pod.client.request({ op: 'exec', container: 'app', exec: 'term1', ...spec(['/bin/sh', '-c', 'kill -TERM 1; exec sleep 1000']) });
      assert.equal((await appKilled).status, 9);
      await closed;
      assert.equal(pod.client.connected, false);
    });
  });

  it('a second client gets the state after the first one went away', async () => {
    await startContainer('c4', ['/bin/sh', '-c', 'exit 0']);
    const closed = once(sentry.client, 'close');
    sentry.client.close();
    await closed;
    sentry.client = SentryClient.connect(sentry.controlPath);
    const deadline = Date.now() + 10_000;
    let status: number | undefined;
    while (status === undefined && Date.now() < deadline) {
      status = (await sentry.client.request({ op: 'list' })).processes?.find((p) => p.container === 'c4')?.status;
      if (status === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 0);
  });
});
