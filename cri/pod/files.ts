// The pod's /etc/hosts, /etc/resolv.conf and /etc/hostname, written once per pod and
// shown to every container of it by the Sentry.
import * as fs from 'fs';
import * as path from 'path';

export interface PodDns { servers: string[]; searches: string[]; options: string[] }

export interface PodFilesOptions {
  hostname: string;
  dns?: PodDns;
  ips: string[];
  hostAliases?: Array<{ ip: string; hostnames: string[] }>;
  /** The host's resolver config, copied when `dns` is absent. */
  hostResolvConf?: string;
  /** A hosts file copied instead of the managed one (hostNetwork pods see the node's). */
  nodeHosts?: string;
}

// Limits kubelet applies (glibc's resolver limits, as expanded by KEP-2595).
const MAX_NAMESERVERS = 3;
const MAX_SEARCH_PATHS = 32;
const MAX_SEARCH_LINE_CHARS = 2048;
const MAX_DOMAIN_CHARS = 253;

/** Trims a search list to what the resolver accepts, as kubelet does: at most 32
 *  domains, none longer than 253 characters, and a line of at most 2048 characters
 *  (dropping domains from the end). */
export function limitSearches(searches: string[]): string[] {
  const kept = searches.slice(0, MAX_SEARCH_PATHS).filter((s) => s.length <= MAX_DOMAIN_CHARS);
  while (kept.length > 0 && kept.join(' ').length > MAX_SEARCH_LINE_CHARS) kept.pop();
  return kept;
}

export function resolvConf(dns: PodDns): string {
  const searches = limitSearches(dns.searches);
  const servers = dns.servers.slice(0, MAX_NAMESERVERS);
  let s = '';
  if (searches.length > 0) s += `search ${searches.join(' ')}\n`;
  for (const ns of servers) s += `nameserver ${ns}\n`;
  if (dns.options.length > 0) s += `options ${dns.options.join(' ')}\n`;
  return s;
}

/** Kubelet's managed hosts file: loopback boilerplate, the pod's IPs, then HostAliases. */
export function hostsFile(hostname: string, ips: string[], aliases: Array<{ ip: string; hostnames: string[] }> = []): string {
  let s = '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n';
  for (const ip of ips) s += `${ip}\t${hostname}\n`;
  if (aliases.length > 0) {
    s += '\n# Entries added by HostAliases.\n';
    for (const a of aliases) s += `${a.ip}\t${a.hostnames.join('\t')}\n`;
  }
  return s;
}

function assertOneLine(what: string, v: string): void {
  if (/[\n\r\0]/.test(v)) throw new Error(`invalid ${what} ${JSON.stringify(v)}: contains a line break or NUL`);
}

/** Writes hosts, resolv.conf and hostname into `dir` (created if needed). */
export function writePodFiles(dir: string, o: PodFilesOptions): { hostsPath: string; resolvPath: string; hostnamePath: string } {
  // Each value lands on a line of its own: a newline in one would inject entries.
  assertOneLine('hostname', o.hostname);
  for (const ip of o.ips) assertOneLine('pod IP', ip);
  for (const a of o.hostAliases ?? []) [a.ip, ...a.hostnames].forEach((v) => assertOneLine('host alias', v));
  if (o.dns) [...o.dns.servers, ...o.dns.searches, ...o.dns.options].forEach((v) => assertOneLine('DNS setting', v));

  fs.mkdirSync(dir, { recursive: true });
  const hostsPath = path.join(dir, 'hosts');
  const resolvPath = path.join(dir, 'resolv.conf');
  const hostnamePath = path.join(dir, 'hostname');
  const resolv = o.dns ? resolvConf(o.dns) : fs.readFileSync(o.hostResolvConf ?? '/etc/resolv.conf', 'utf8');
  const hosts = o.nodeHosts ? fs.readFileSync(o.nodeHosts, 'utf8') : hostsFile(o.hostname, o.ips, o.hostAliases);
  fs.writeFileSync(hostsPath, hosts, { mode: 0o644 });
  fs.writeFileSync(resolvPath, resolv, { mode: 0o644 });
  fs.writeFileSync(hostnamePath, `${o.hostname}\n`, { mode: 0o644 });
  return { hostsPath, resolvPath, hostnamePath };
}
