/**
 * A token server for docker-registry's bearer-token auth (the Docker
 * "token" scheme): GET <realm>?service=S&scope=repository:NAME:ACTIONS with
 * basic credentials returns a JWT (RS256) granting the requested actions.
 * The JWT header carries the signing certificate (x5c); the registry trusts
 * it because that certificate is its `rootcertbundle`. Anonymous or wrong
 * credentials get 401. Test infrastructure only.
 */
import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Certificates } from './registry';

export interface TokenServer {
  /** The URL the registry sends clients to. */
  realm: string;
  service: string;
  issuer: string;
  /** The token-signing certificate (PEM): the registry's rootcertbundle. */
  certFile: string;
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  dir: string;
  users: Record<string, string>;
  /** TLS certificate for the token endpoint itself. */
  certs: Certificates;
}

const SERVICE = 'tsvisor-test-registry';
const ISSUER = 'tsvisor-test-token-server';

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

/** Requested scopes "repository:NAME:pull,push" -> access claims. */
export function accessFromScopes(scopes: string[]): { type: string; name: string; actions: string[] }[] {
  return scopes.map((s) => {
    // The name itself may not contain ':' but the scope type may carry a class ("repository(plugin)").
    const first = s.indexOf(':');
    const last = s.lastIndexOf(':');
    if (first < 0 || last === first) throw new Error(`bad scope ${s}`);
    return { type: s.slice(0, first), name: s.slice(first + 1, last), actions: s.slice(last + 1).split(',').filter(Boolean) };
  });
}

export async function startTokenServer(o: TokenServerOptions): Promise<TokenServer> {
  const keyFile = path.join(o.dir, 'token.key');
  const certFile = path.join(o.dir, 'token.crt');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', '7', '-subj', '/CN=tsvisor test token signer'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl (token signing key) failed: ${r.stderr}`);
  const key = createPrivateKey(fs.readFileSync(keyFile));
  const x5c = new X509Certificate(fs.readFileSync(certFile)).raw.toString('base64');

  const issue = (subject: string, scopes: string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [x5c] };
    const claims = {
      iss: ISSUER,
      sub: subject,
      aud: SERVICE,
      exp: now + 600,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(12).toString('hex'),
      access: accessFromScopes(scopes),
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), key))}`;
  };

  const server = https.createServer(
    { cert: fs.readFileSync(o.certs.certFile), key: fs.readFileSync(o.certs.keyFile) },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
      const [user, ...pw] = m ? Buffer.from(m[1], 'base64').toString().split(':') : [];
      if (user === undefined || o.users[user] === undefined || o.users[user] !== pw.join(':')) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="tsvisor-test-token"', 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
        return;
      }
      try {
        const token = issue(user, url.searchParams.getAll('scope'));
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ token, access_token: token, expires_in: 600, issued_at: new Date().toISOString() }));
      } catch (e) {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'INVALID_SCOPE', message: (e as Error).message }] }));
      }
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    realm: `https://127.0.0.1:${port}/token`,
    service: SERVICE,
    issuer: ISSUER,
    certFile,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
