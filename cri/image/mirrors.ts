/**
 * Registry mirrors, like containerd's `hosts.toml` with `server` set to the
 * mirror: an image named under a mirrored registry (`registry.k8s.io/x:1`) is
 * fetched from the mirror's endpoint instead, and keeps its original name in
 * repoTags and repoDigests. There is no fallback to the original registry:
 * a mirror stands in for it (air-gapped nodes, test registries).
 */
import { PullError } from './errors';

export interface MirrorEndpoint {
  /** host[:port] to contact. */
  host: string;
  scheme: 'http' | 'https';
}

/** Parses a mirror URL: `http://` or `https://`, a host and optional port, no path, query or credentials. */
export function parseMirrorUrl(url: string): MirrorEndpoint {
  const bad = (why: string): PullError => new PullError(`invalid registry mirror URL ${JSON.stringify(url)}: ${why}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('expected http://HOST[:PORT] or https://HOST[:PORT]');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad(`unsupported scheme ${u.protocol.slice(0, -1)}`);
  if (u.username !== '' || u.password !== '') throw bad('credentials do not belong in the URL');
  if ((u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '') throw bad('a path, query or fragment is not supported');
  return { host: u.host, scheme: u.protocol === 'http:' ? 'http' : 'https' };
}

/** Parses every mirror (registry host → URL); throws on the first bad one, naming it. */
export function parseMirrors(mirrors: Record<string, string>): Map<string, MirrorEndpoint> {
  const out = new Map<string, MirrorEndpoint>();
  for (const [registry, url] of Object.entries(mirrors)) {
    if (registry === '' || /[/\s]/.test(registry)) throw new PullError(`invalid mirrored registry host ${JSON.stringify(registry)}`);
    out.set(registry, parseMirrorUrl(url));
  }
  return out;
}
