/**
 * Image references, parsed and normalized the way docker and containerd do
 * (distribution's reference grammar): `busybox` is
 * `docker.io/library/busybox:latest`, `localhost:5000/a/b@sha256:…` keeps its
 * registry. Only sha256 digests are accepted: they are the only ones the
 * store can verify.
 */
import { PullError } from './errors';

export const DEFAULT_DOMAIN = 'docker.io';

/** A parsed, normalized reference. `tag` is 'latest' when neither tag nor digest was given. */
export interface Reference {
  domain: string;
  /** The repository path inside the registry, e.g. `library/busybox`. */
  path: string;
  tag?: string;
  digest?: string;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const NAME_MAX = 255;

/** Parses and normalizes `ref`; throws PullError naming what is wrong. */
export function parseReference(ref: string): Reference {
  const bad = (why: string): PullError => new PullError(`invalid image reference ${JSON.stringify(ref)}: ${why}`);
  if (ref === '') throw bad('empty');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw bad('digest must be sha256:<64 lowercase hex digits>');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw bad(`invalid tag ${JSON.stringify(tag)}`);
  }
  if (rest.length > NAME_MAX) throw bad(`name longer than ${NAME_MAX} characters`);

  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    // Like docker: the first component is a registry when it looks like a host.
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (!DOMAIN_RE.test(domain)) throw bad(`invalid registry host ${JSON.stringify(domain)}`);
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  for (const c of path.split('/')) {
    if (!PATH_COMPONENT_RE.test(c)) {
      throw bad(c.toLowerCase() !== c ? 'repository name must be lowercase' : `invalid path component ${JSON.stringify(c)}`);
    }
  }
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { domain, path, tag, digest };
}

/** `domain/path`, the repository name used in repoTags and repoDigests. */
export function repoName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** The normalized reference: `name:tag`, `name@digest` or `name:tag@digest`. */
export function formatReference(r: Reference): string {
  return repoName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** The host to contact: Docker Hub's API lives on registry-1.docker.io. */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : domain;
}
