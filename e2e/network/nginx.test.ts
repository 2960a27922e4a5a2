/**
 * Issue 5, acceptance 2: nginx (Debian's) in the sandbox serves static
 * files to curl and to 30 s of wrk load from namespace B, with no errors.
 */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkNoLeaks, freshDir, scratchDir } from '../syscalls/harness';
import { labPerTest, twoHosts } from './netns';
import { CURL, randomFile, waitForTcp } from './peer';
import { SandboxServer, unsupportedSyscalls } from './sandbox';

const NGINX = '/usr/sbin/nginx';
const WRK = '/usr/bin/wrk';
const PORT = 8080;

/** A prefix folder with nginx.conf: one server on addr:PORT with `root`, every path nginx writes under the prefix. */
function nginxPrefix(addr: string, root: string): string {
  const prefix = freshDir('nginx');
  const conf = `
daemon off;
master_process on;
worker_processes 1;
error_log stderr notice;
pid ${prefix}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen ${addr}:${PORT};
    root ${root};
  }
}
`;
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  return prefix;
}

interface WrkSummary {
  requests: number;
  seconds: number;
  perSecond: number;
  socketErrors: number;
  non2xx: number;
}

/** The totals of wrk's report; throws on a report it cannot read. */
function parseWrk(out: string): WrkSummary {
  const total = /^\s*(\d+) requests in ([\d.]+)(m?s)/m.exec(out);
  const perSecond = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  if (!total || !perSecond) throw new Error(`unexpected wrk output:\n${out}`);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    requests: Number(total[1]),
    seconds: Number(total[2]) / (total[3] === 'ms' ? 1000 : 1),
    perSecond: Number(perSecond[1]),
    socketErrors: errors ? errors.slice(1).reduce((n, e) => n + Number(e), 0) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
}

describe('e2e/network: nginx in the sandbox under wrk', function () {
  this.timeout(150_000);
  const lab = labPerTest();
  checkNoLeaks();

  it('parses wrk reports, errors included', () => {
    const bad = parseWrk(
      '  51 requests in 1.00s, 1.00MB read\n  Socket errors: connect 0, read 2, write 0, timeout 3\n  Non-2xx or 3xx responses: 4\nRequests/sec:     51.00\n',
    );
    assert.deepEqual(bad, { requests: 51, seconds: 1, perSecond: 51, socketErrors: 5, non2xx: 4 });
  });

  it('serves static files; wrk -t2 -c16 -d30s from B gets only 2xx and no socket errors', async () => {
    const net = twoHosts(lab());
    const site = randomFile(64 << 10);
    writeFileSync(join(site.dir, 'index.html'), '<p>tsvisor</p>\n');
    // The worker runs as nobody: let it reach the files.
    chmodSync(scratchDir(), 0o711);
    chmodSync(site.dir, 0o755);
    const prefix = nginxPrefix(net.addrA, site.dir);
    const server = await SandboxServer.start(lab(), net.a, [NGINX, '-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', 'stderr']);
    await waitForTcp(lab(), net.b, net.addrA, PORT);

    const index = await lab().exec(net.b, [CURL, '-sS', '--fail', `http://${net.addrA}:${PORT}/`]);
    assert.equal(index.stdout, '<p>tsvisor</p>\n', `${index.stderr}\n${server.describe()}`);
    const blob = await lab().exec(net.b, ['/bin/sh', '-c', `${CURL} -sS --fail http://${net.addrA}:${PORT}/${site.name} | sha256sum`]);
    assert.equal(blob.stdout, `${site.sha256}  -\n`, blob.stderr);
    const missing = await lab().exec(net.b, [CURL, '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${net.addrA}:${PORT}/nope`]);
    assert.equal(missing.stdout, '404');

    const wrk = await lab().exec(net.b, [WRK, '-t2', '-c16', '-d30s', `http://${net.addrA}:${PORT}/index.html`], 90_000);
    assert.equal(wrk.code, 0, `wrk: ${wrk.stderr}`);
    const s = parseWrk(wrk.stdout);
    console.log(`      nginx in the sandbox: ${s.requests} requests in ${s.seconds} s, ${s.perSecond} requests/s`);
    assert.ok(s.requests > 0, wrk.stdout);
    assert.equal(s.socketErrors, 0, wrk.stdout);
    assert.equal(s.non2xx, 0, wrk.stdout);

    assert.ok(server.alive, server.describe());
    const log = await server.stop();
    assert.deepEqual(unsupportedSyscalls(log), [], log);
    assert.doesNotMatch(server.stderr, /\[(alert|crit|emerg)\]/, server.stderr);
  });
});
