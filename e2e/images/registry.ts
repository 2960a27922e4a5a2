/**
 * Runs Debian's docker-registry (Distribution 2.8) for a test: on 127.0.0.1
 * and a free port, storage and config in a fresh folder under the e2e
 * scratch folder. Variants: plain HTTP and anonymous; HTTPS with a
 * throw-away CA (openssl) and htpasswd basic auth; HTTPS with bearer tokens
 * from a token server in this process (token-server.ts).
 * stop() kills the registry and removes its folder.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { freshDir } from '../syscalls/harness';
import { httpRequest, Registry } from './client';
import { startTokenServer, TokenServer } from './token-server';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export type RegistryAuth = 'none' | 'basic' | 'token';

export interface RegistryOptions {
  /** HTTPS with a certificate for 127.0.0.1 and localhost (implied by basic and token auth). */
  tls?: boolean;
  auth?: RegistryAuth;
}

export interface RunningRegistry extends Registry {
  /** Folder holding config, certificates and storage. */
  dir: string;
  /** CA certificate file (https only), for clients that take a path. */
  caFile?: string;
  /** The registry's own log (stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export const TEST_USER = 'tsvisor';
export const TEST_PASSWORD = 'tsvisor-test-password';

/** A free TCP port on 127.0.0.1 (the kernel's pick, released for the registry to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function run(argv: string[], input?: string): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', input });
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`${argv.join(' ')} failed: ${r.error?.message ?? ''}${r.stderr}`);
  }
  return r.stdout;
}

export interface Certificates {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A fresh CA and a server certificate it signed, valid for IP 127.0.0.1 and DNS localhost (SANs). */
export function makeCertificates(dir: string): Certificates {
  const f = (n: string) => path.join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['openssl', 'req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '7', '-subj', '/CN=tsvisor test CA']);
  run(['openssl', 'req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost']);
  fs.writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  run(['openssl', 'x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.crt'), '-days', '7', '-extfile', f('server.ext')]);
  return { caFile: f('ca.crt'), certFile: f('server.crt'), keyFile: f('server.key') };
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  if (!fs.existsSync(REGISTRY_BIN)) throw new Error(`${REGISTRY_BIN} missing: run scripts/setup-cri-deps.sh`);
  const auth = opts.auth ?? 'none';
  const tls = opts.tls ?? auth !== 'none';
  if (auth !== 'none' && !tls) throw new Error('registry auth needs TLS (the registry refuses credentials over plain HTTP)');
  const dir = freshDir('registry');
  let tokens: TokenServer | undefined;
  try {
    const certs = tls ? makeCertificates(dir) : undefined;
    const config: Record<string, unknown> = {
      version: 0.1,
      log: { level: 'warn', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: path.join(dir, 'data') }, delete: { enabled: true } },
    };
    if (auth === 'basic') {
      fs.writeFileSync(path.join(dir, 'htpasswd'), run(['htpasswd', '-Bbn', TEST_USER, TEST_PASSWORD]));
      config.auth = { htpasswd: { realm: 'tsvisor-test', path: path.join(dir, 'htpasswd') } };
    } else if (auth === 'token') {
      tokens = await startTokenServer({ dir, users: { [TEST_USER]: TEST_PASSWORD }, certs: certs! });
      config.auth = {
        token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootcertbundle: tokens.certFile },
      };
    }
    // The port is free when picked; another process may take it first, so retry a few times.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const host = `127.0.0.1:${port}`;
      config.http = {
        addr: host,
        secret: 'tsvisor-test-secret',
        ...(certs ? { tls: { certificate: certs.certFile, key: certs.keyFile } } : {}),
      };
      const configFile = path.join(dir, 'config.yml');
      fs.writeFileSync(configFile, stringify(config));
      const logFile = path.join(dir, 'registry.log');
      const logFd = fs.openSync(logFile, 'w');
      // setpriv's parent-death signal: the registry dies with the test process even if it is killed.
      const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', REGISTRY_BIN, 'serve', configFile], {
        stdio: ['ignore', logFd, logFd],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      });
      fs.closeSync(logFd);
      const log = () => fs.readFileSync(logFile, 'utf8');
      const reg: Registry = {
        host,
        scheme: tls ? 'https' : 'http',
        ...(certs ? { ca: fs.readFileSync(certs.caFile) } : {}),
        ...(auth !== 'none' ? { username: TEST_USER, password: TEST_PASSWORD } : {}),
      };
      const ready = await waitReady(reg, child);
      if (ready === true) {
        const tokenServer = tokens;
        return {
          ...reg,
          dir,
          caFile: certs?.caFile,
          log,
          stop: async () => {
            await kill(child);
            await tokenServer?.stop();
            fs.rmSync(dir, { recursive: true, force: true });
          },
        };
      }
      await kill(child);
      if (attempt === 3 || !/address already in use/.test(log())) throw new Error(`docker-registry did not start: ${ready}\n${log()}`);
    }
  } catch (e) {
    await tokens?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Polls GET /v2/ until the registry answers (200, or 401 when auth is on). */
async function waitReady(reg: Registry, child: ChildProcess): Promise<true | string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return `exited (${child.exitCode ?? child.signalCode})`;
    try {
      const res = await httpRequest(`${reg.scheme}://${reg.host}/v2/`, { ca: reg.ca });
      if (res.status === 200 || res.status === 401) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return 'no answer on /v2/ within 15 s';
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export function kill(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
