/**
 * Test fixtures for the image store: a raw tar writer that can produce
 * hostile archives (any name, type flag, link name), GNU tar runs, and an
 * in-process fake OCI distribution registry with basic and bearer auth.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export interface RawEntry {
  name: string;
  /** Type flag character; '0' by default. */
  type?: string;
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  devmajor?: number;
  devminor?: number;
  /** PAX records to put in an 'x' header before the entry. */
  pax?: Record<string, string | Buffer>;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, type: string, size: number, e: RawEntry): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(e.mode ?? 0o644, 8), 100, 'latin1');
  h.write(octal(e.uid ?? 0, 8), 108, 'latin1');
  h.write(octal(e.gid ?? 0, 8), 116, 'latin1');
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(e.mtime ?? 1700000000, 12), 136, 'latin1');
  h.write(type, 156, 'latin1');
  h.write(e.linkname ?? '', 157, 100, 'utf8');
  h.write('ustar\0' + '00', 257, 'latin1');
  h.write(octal(e.devmajor ?? 0, 8), 329, 'latin1');
  h.write(octal(e.devminor ?? 0, 8), 337, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of h) sum += c;
  h.write(octal(sum, 7) + ' ', 148, 'latin1');
  return h;
}

function padded(b: Buffer): Buffer[] {
  return [b, Buffer.alloc((512 - (b.length % 512)) % 512)];
}

function paxBody(records: Record<string, string | Buffer>): Buffer {
  const out: Buffer[] = [];
  for (const [k, v] of Object.entries(records)) {
    const body = Buffer.concat([Buffer.from(` ${k}=`), Buffer.from(v), Buffer.from('\n')]);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len++;
    out.push(Buffer.from(String(len)), body);
  }
  return Buffer.concat(out);
}

/** A tar archive with exactly these entries, ended by two zero blocks. */
export function rawTar(entries: RawEntry[]): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    if (e.pax !== undefined) {
      const body = paxBody(e.pax);
      out.push(header('PaxHeader', 'x', body.length, { name: 'PaxHeader' }), ...padded(body));
    }
    const data = Buffer.from(e.data ?? '');
    out.push(header(e.name, e.type ?? '0', data.length, e), ...padded(data));
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

/** A fresh folder under /var/tmp (it has user xattrs, unlike some /tmp mounts). */
export function scratch(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir() === '/tmp' ? '/var/tmp' : os.tmpdir(), `tsvisor-image-${tag}-`));
}

/** Runs GNU tar with `args` in `cwd`; returns the archive it writes to stdout. */
export function gnuTar(cwd: string, args: string[]): Buffer {
  const r = spawnSync('/usr/bin/tar', ['-c', '-f', '-', ...args], { cwd, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr.toString()}`);
  return r.stdout;
}

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export const OCI = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
};
export const DOCKER = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  index: 'application/vnd.docker.distribution.manifest.list.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
};

export interface BuiltImage {
  manifestDigest: string;
  manifest: Buffer;
  configDigest: string;
  layerDigests: string[];
  layerSizes: number[];
}

export interface ImageSpec {
  /** Uncompressed layer tars, bottom first. */
  layers: Buffer[];
  format?: 'oci' | 'docker';
  /** The config's `config` object. */
  runConfig?: Record<string, unknown>;
  architecture?: string;
  /** Overrides the config's diff_ids (to test mismatches). */
  diffIds?: string[];
}

type Auth = { kind: 'none' } | { kind: 'basic'; user: string; password: string } | { kind: 'bearer'; user: string; password: string };

/**
 * A registry speaking enough of the distribution API for pulls: manifests by
 * tag or digest with their media type, blobs by digest, 401 challenges, and a
 * token endpoint at /token. Every request is recorded.
 */
export class FakeRegistry {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { body: Buffer; mediaType: string }>();
  readonly requests: { method: string; url: string; authorization?: string }[] = [];
  /** Blobs served with different bytes than their digest. */
  readonly corrupt = new Set<string>();
  auth: Auth = { kind: 'none' };
  /** Answer blob requests with a redirect to /storage/ on another host name. */
  redirectBlobs = false;
  private readonly tokens = new Set<string>();
  private server!: http.Server;
  host = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  addBlob(data: Buffer): string {
    const d = sha256(data);
    this.blobs.set(d, data);
    return d;
  }

  /** Serves `body` as `repo:ref` (a tag) and `repo@digest`. */
  addManifest(repo: string, tag: string | undefined, body: Buffer, mediaType: string): string {
    const d = sha256(body);
    this.manifests.set(`${repo}@${d}`, { body, mediaType });
    if (tag !== undefined) this.manifests.set(`${repo}:${tag}`, { body, mediaType });
    return d;
  }

  addImage(repo: string, tag: string | undefined, spec: ImageSpec): BuiltImage {
    const t = spec.format === 'docker' ? DOCKER : OCI;
    const gz = spec.layers.map((l) => zlib.gzipSync(l));
    const layerDigests = gz.map((g) => this.addBlob(g));
    const config = Buffer.from(JSON.stringify({
      architecture: spec.architecture ?? 'amd64',
      os: 'linux',
      config: spec.runConfig ?? {},
      rootfs: { type: 'layers', diff_ids: spec.diffIds ?? spec.layers.map((l) => sha256(l)) },
    }));
    const configDigest = this.addBlob(config);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: t.manifest,
      config: { mediaType: t.config, digest: configDigest, size: config.length },
      layers: gz.map((g, i) => ({ mediaType: t.layer, digest: layerDigests[i], size: g.length })),
    }));
    const manifestDigest = this.addManifest(repo, tag, manifest, t.manifest);
    return { manifestDigest, manifest, configDigest, layerDigests, layerSizes: gz.map((g) => g.length) };
  }

  /** An index of `images` (platform per entry) as `repo:tag`. */
  addIndex(repo: string, tag: string, format: 'oci' | 'docker', images: { image: BuiltImage; architecture: string; variant?: string }[]): string {
    const t = format === 'docker' ? DOCKER : OCI;
    const body = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: t.index,
      manifests: images.map(({ image, architecture, variant }) => ({
        mediaType: t.manifest,
        digest: image.manifestDigest,
        size: image.manifest.length,
        platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) },
      })),
    }));
    return this.addManifest(repo, tag, body, t.index);
  }

  /** Requests whose path contains `part`. */
  count(part: string): number {
    return this.requests.filter((r) => r.url.includes(part)).length;
  }

  private authorized(req: http.IncomingMessage): boolean {
    const a = this.auth;
    const h = req.headers.authorization ?? '';
    if (a.kind === 'none') return true;
    if (a.kind === 'basic') return h === `Basic ${Buffer.from(`${a.user}:${a.password}`).toString('base64')}`;
    return h.startsWith('Bearer ') && this.tokens.has(h.slice(7));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    if (url.pathname === '/token') return this.token(req, url, res);
    if (url.pathname.startsWith('/storage/')) {
      // Blob storage elsewhere (like S3 behind Docker Hub): no registry credentials needed or wanted.
      const blob = this.blobs.get(url.pathname.slice('/storage/'.length));
      res.writeHead(blob && !req.headers.authorization ? 200 : 403).end(blob);
      return;
    }
    if (!this.authorized(req)) {
      const a = this.auth;
      res.setHeader('WWW-Authenticate', a.kind === 'basic'
        ? 'Basic realm="fake"'
        : `Bearer realm="http://${this.host}/token",service="fake-registry",scope="repository:${url.pathname.split('/').slice(2, -2).join('/')}:pull"`);
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (m === null) {
      res.writeHead(url.pathname === '/v2/' ? 200 : 404).end('{}');
      return;
    }
    const [, repo, kind, ref] = m;
    if (kind === 'manifests') {
      const man = this.manifests.get(ref.startsWith('sha256:') ? `${repo}@${ref}` : `${repo}:${ref}`);
      if (man === undefined) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
        return;
      }
      res.writeHead(200, { 'Content-Type': man.mediaType, 'Docker-Content-Digest': sha256(man.body), 'Content-Length': man.body.length });
      res.end(man.body);
      return;
    }
    let blob = this.blobs.get(ref);
    if (blob === undefined) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] }));
      return;
    }
    if (this.redirectBlobs) {
      res.writeHead(307, { Location: `http://${this.host.replace('127.0.0.1', 'localhost')}/storage/${ref}` }).end();
      return;
    }
    if (this.corrupt.has(ref)) {
      blob = Buffer.from(blob);
      blob[blob.length >> 1] ^= 0xff;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length });
    res.end(blob);
  }

  private token(req: http.IncomingMessage, url: URL, res: http.ServerResponse): void {
    const a = this.auth;
    const ok = a.kind === 'bearer' && req.headers.authorization === `Basic ${Buffer.from(`${a.user}:${a.password}`).toString('base64')}`;
    if (!ok || url.searchParams.get('service') !== 'fake-registry' || !url.searchParams.get('scope')?.startsWith('repository:')) {
      res.writeHead(401).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
      return;
    }
    const token = randomBytes(8).toString('hex');
    this.tokens.add(token);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token }));
  }

  /** Makes `token` valid, as a registry_token would be. */
  grant(token: string): void {
    this.tokens.add(token);
  }
}
