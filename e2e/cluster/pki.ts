/**
 * The test cluster's certificates (openssl): one CA signs every serving and
 * client certificate; identities follow Kubernetes' bootstrap RBAC and Node
 * authorizer (CN = user, O = group). Plus the service-account signing key
 * pair and kubeconfigs that point at files.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.error?.message ?? ''}${r.stderr}`);
}

export interface KeyPair {
  cert: string;
  key: string;
}

export interface Identity {
  /** The user name (certificate CN). */
  user: string;
  /** Groups (certificate O, one each). */
  groups?: string[];
}

export interface ServingNames {
  ips: string[];
  dns: string[];
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A certificate authority in `dir` that issues client and serving certificates there. */
export class CertificateAuthority {
  readonly cert: string;
  readonly key: string;

  constructor(readonly dir: string, name = 'tsvisor test cluster CA') {
    this.cert = path.join(dir, 'ca.crt');
    this.key = path.join(dir, 'ca.key');
    openssl(['req', '-x509', ...EC, '-keyout', this.key, '-out', this.cert, '-days', '7', '-subj', `/CN=${name}`]);
  }

  /** A client certificate for `id`, named `name`.{crt,key}. */
  client(name: string, id: Identity): KeyPair {
    return this.issue(name, id, 'extendedKeyUsage=clientAuth\n');
  }

  /** A serving (and client) certificate for the given IPs and DNS names. */
  serving(name: string, id: Identity, names: ServingNames): KeyPair {
    const san = [...names.ips.map((i) => `IP:${i}`), ...names.dns.map((d) => `DNS:${d}`)].join(',');
    return this.issue(name, id, `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  }

  private issue(name: string, id: Identity, ext: string): KeyPair {
    const f = (suffix: string) => path.join(this.dir, `${name}.${suffix}`);
    const subject = [...(id.groups ?? []).map((g) => `/O=${g}`), `/CN=${id.user}`].join('');
    openssl(['req', ...EC, '-keyout', f('key'), '-out', f('csr'), '-subj', subject]);
    fs.writeFileSync(f('ext'), `keyUsage=critical,digitalSignature,keyEncipherment\n${ext}`);
    openssl(['x509', '-req', '-in', f('csr'), '-CA', this.cert, '-CAkey', this.key, '-CAcreateserial', '-out', f('crt'), '-days', '7', '-extfile', f('ext')]);
    return { cert: f('crt'), key: f('key') };
  }
}

/** The key pair kube-apiserver signs service-account tokens with (and checks them against). */
export function serviceAccountKeys(dir: string): { privateKey: string; publicKey: string } {
  const privateKey = path.join(dir, 'sa.key');
  const publicKey = path.join(dir, 'sa.pub');
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', privateKey]);
  openssl(['pkey', '-in', privateKey, '-pubout', '-out', publicKey]);
  return { privateKey, publicKey };
}

/** A kubeconfig with one cluster, user and context, referring to files. */
export function kubeconfig(server: string, caFile: string, client: KeyPair, user: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'tsvisor-test', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: user, user: { 'client-certificate': client.cert, 'client-key': client.key } }],
    contexts: [{ name: 'tsvisor-test', context: { cluster: 'tsvisor-test', user } }],
    'current-context': 'tsvisor-test',
  });
}
