/**
 * A minimal client of the Distribution HTTP API (the registry "v2" API) for
 * the test side: pushing test images and reading manifests and blobs back.
 * Auth follows the registry's 401 challenge: Basic, or Bearer with a token
 * fetched from the challenge's realm using the same credentials.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { Blob, TestImage } from './oci';

export interface Registry {
  /** "127.0.0.1:PORT": the host part of image references. */
  host: string;
  scheme: 'http' | 'https';
  /** PEM of the CA that signed an https registry's certificate. */
  ca?: Buffer;
  username?: string;
  password?: string;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  ca?: Buffer;
}

/** One HTTP(S) request, body collected. Rejects only on transport errors. */
export function httpRequest(url: string, o: RequestOptions = {}): Promise<HttpResponse> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { ...o.headers };
  if (o.body !== undefined) headers['Content-Length'] = String(o.body.length);
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method: o.method ?? 'GET', headers, ca: o.ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${o.method ?? 'GET'} ${url}: timed out`)));
    req.end(o.body);
  });
}

/** The reference a runtime pulls: HOST/REPOSITORY:TAG. */
export function imageRef(reg: Registry, img: Pick<TestImage, 'repository' | 'tag'>): string {
  return `${reg.host}/${img.repository}:${img.tag}`;
}

/** Parses `Basic realm="x"` / `Bearer realm="x",service="y",scope="z"`. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^(\w+)\s*(.*)$/s.exec(header.trim());
  if (m === null) throw new Error(`bad WWW-Authenticate header: ${header}`);
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)="([^"]*)"/g)) params[p[1]] = p[2];
  return { scheme: m[1].toLowerCase(), params };
}

export class RegistryClient {
  /** Authorization header values by the challenge that asked for them. */
  private auth = new Map<string, string>();

  constructor(readonly reg: Registry) {}

  get baseUrl(): string {
    return `${this.reg.scheme}://${this.reg.host}`;
  }

  /** A request to a path (or absolute URL) answering the registry's auth challenge once. */
  async request(pathOrUrl: string, o: RequestOptions = {}): Promise<HttpResponse> {
    const url = pathOrUrl.startsWith('/') ? this.baseUrl + pathOrUrl : pathOrUrl;
    const key = challengeKey(url, o.method);
    const send = (authz?: string) =>
      httpRequest(url, { ...o, ca: this.reg.ca, headers: { ...o.headers, ...(authz ? { Authorization: authz } : {}) } });
    let res = await send(this.auth.get(key));
    const challenge = res.headers['www-authenticate'];
    if (res.status === 401 && typeof challenge === 'string' && this.reg.username !== undefined) {
      const authz = await this.answer(challenge);
      this.auth.set(key, authz);
      res = await send(authz);
    }
    return res;
  }

  private async answer(header: string): Promise<string> {
    const { scheme, params } = parseChallenge(header);
    const basic = `Basic ${Buffer.from(`${this.reg.username}:${this.reg.password ?? ''}`).toString('base64')}`;
    if (scheme === 'basic') return basic;
    if (scheme !== 'bearer' || params.realm === undefined) throw new Error(`unsupported registry auth challenge: ${header}`);
    const tokenUrl = new URL(params.realm);
    if (params.service !== undefined) tokenUrl.searchParams.set('service', params.service);
    if (params.scope !== undefined) tokenUrl.searchParams.set('scope', params.scope);
    const res = await httpRequest(tokenUrl.toString(), { headers: { Authorization: basic }, ca: this.reg.ca });
    if (res.status !== 200) throw new Error(`token server ${tokenUrl.origin}: HTTP ${res.status} ${res.body.toString()}`);
    const body = JSON.parse(res.body.toString()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (token === undefined) throw new Error(`token server ${tokenUrl.origin}: no token in the answer`);
    return `Bearer ${token}`;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const res = await this.request(`/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw new Error(`HEAD blob ${repository}@${digest}: HTTP ${res.status}`);
  }

  /** Monolithic upload: POST to open an upload session, then one PUT with the bytes and the digest. */
  async pushBlob(repository: string, blob: Blob): Promise<void> {
    if (await this.hasBlob(repository, blob.digest)) return;
    const start = await this.request(`/v2/${repository}/blobs/uploads/`, { method: 'POST', body: Buffer.alloc(0) });
    const location = start.headers.location;
    if (start.status !== 202 || location === undefined) {
      throw new Error(`start upload to ${repository}: HTTP ${start.status} ${start.body.toString()}`);
    }
    const put = new URL(location, this.baseUrl);
    put.searchParams.set('digest', blob.digest);
    const res = await this.request(put.toString(), {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: blob.data,
    });
    if (res.status !== 201) throw new Error(`upload ${blob.digest} to ${repository}: HTTP ${res.status} ${res.body.toString()}`);
  }

  /** PUT a manifest under a tag or its digest; the registry must agree on the digest. */
  async pushManifest(repository: string, reference: string, manifest: Blob): Promise<void> {
    const res = await this.request(`/v2/${repository}/manifests/${reference}`, {
      method: 'PUT',
      headers: { 'Content-Type': manifest.mediaType },
      body: manifest.data,
    });
    if (res.status !== 201) throw new Error(`put manifest ${repository}:${reference}: HTTP ${res.status} ${res.body.toString()}`);
    const digest = res.headers['docker-content-digest'];
    if (digest !== manifest.digest) throw new Error(`registry stored ${repository}:${reference} as ${digest}, expected ${manifest.digest}`);
  }

  /** Blobs, then each platform manifest by digest (an index may only name existing manifests), then the tag. */
  async pushImage(img: TestImage): Promise<void> {
    for (const i of img.images) {
      for (const b of [...i.layers.map((l) => l.blob), i.config]) await this.pushBlob(img.repository, b);
      if (i.manifest.digest !== img.manifest.digest) await this.pushManifest(img.repository, i.manifest.digest, i.manifest);
    }
    await this.pushManifest(img.repository, img.tag, img.manifest);
  }
}

function challengeKey(url: string, method = 'GET'): string {
  // Token scopes are per repository and action (pull vs push).
  const repo = /\/v2\/(.+?)\/(?:blobs|manifests|tags)\//.exec(new URL(url).pathname)?.[1] ?? '';
  const push = method !== 'GET' && method !== 'HEAD';
  return `${repo} ${push ? 'push' : 'pull'}`;
}

/** Pushes every image (shared blobs once per repository). */
export async function pushAll(reg: Registry, images: readonly TestImage[]): Promise<void> {
  const client = new RegistryClient(reg);
  for (const img of images) await client.pushImage(img);
}
