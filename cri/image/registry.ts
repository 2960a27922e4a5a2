/**
 * A client of one repository on an OCI distribution registry: manifests and
 * blobs over HTTPS (or plain HTTP for insecure and localhost registries), with
 * basic and bearer-token authentication answered from the CRI AuthConfig.
 */
import type { IncomingMessage } from 'node:http';
import { basicCredentials, basicHeader, parseChallenges, type AuthConfig, type Challenge } from './auth';
import { PullError } from './errors';
import { readBody, send } from './http';

const MAX_REDIRECTS = 5;
const MAX_ERROR_BODY = 64 << 10;
const MAX_TOKEN_BODY = 1 << 20;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface RegistryOptions {
  /** Hosts (host or host:port) reached over plain HTTP. */
  insecure: string[];
  ca?: Buffer;
  /** Scheme chosen per host, shared between clients so the HTTPS probe of a localhost registry happens once. */
  schemes: Map<string, 'http' | 'https'>;
}

function hostname(host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class RegistryClient {
  private authorization: string | undefined;

  constructor(
    private readonly host: string,
    private readonly repo: string,
    private readonly auth: AuthConfig | undefined,
    private readonly opts: RegistryOptions,
  ) {
    if (auth?.registry_token) this.authorization = `Bearer ${auth.registry_token}`;
  }

  /** GET a manifest by tag or digest; the body is bounded by `maxBytes`. */
  async manifest(ref: string, accept: string[], maxBytes: number): Promise<{ body: Buffer; mediaType: string; digest?: string }> {
    const res = await this.get(`manifests/${ref}`, { Accept: accept.join(', ') });
    const body = await readBody(res, maxBytes, `manifest ${this.repo}:${ref}`);
    const mediaType = (res.headers['content-type'] ?? '').split(';')[0].trim();
    const digest = res.headers['docker-content-digest'];
    return { body, mediaType, digest: typeof digest === 'string' ? digest : undefined };
  }

  /** GET a blob; resolves with the 200 response to stream. */
  blob(digest: string): Promise<IncomingMessage> {
    return this.get(`blobs/${digest}`, {});
  }

  private async get(what: string, headers: Record<string, string>): Promise<IncomingMessage> {
    const path = `/v2/${this.repo}/${what}`;
    let res = await this.sendFollowing(path, headers);
    if (res.statusCode === 401) {
      const challenge = res.headers['www-authenticate'];
      res.resume();
      await this.authenticate(typeof challenge === 'string' ? challenge : '');
      res = await this.sendFollowing(path, headers);
    }
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    throw new PullError(`${this.host}: GET ${path}: ${await this.describe(res)}`);
  }

  /** A failed response in words: the status and the registry's error codes, if it sent any. */
  private async describe(res: IncomingMessage): Promise<string> {
    const status = `${res.statusCode} ${res.statusMessage ?? ''}`.trim();
    let details = '';
    try {
      const parsed: unknown = JSON.parse((await readBody(res, MAX_ERROR_BODY, 'error body')).toString('utf8'));
      const errors = (parsed as { errors?: { code?: unknown; message?: unknown }[] }).errors;
      if (Array.isArray(errors)) details = errors.map((e) => `${String(e.code ?? '')}: ${String(e.message ?? '')}`).join('; ');
    } catch {
      res.destroy();
    }
    const hint = res.statusCode === 401 ? ' (authentication required or credentials rejected)' : res.statusCode === 404 ? ' (not found)' : '';
    return `${status}${hint}${details !== '' ? ` — ${details}` : ''}`;
  }

  /** Sends to the registry, following redirects (blob storage often lives elsewhere). */
  private async sendFollowing(path: string, headers: Record<string, string>): Promise<IncomingMessage> {
    let url = await this.url(path);
    for (let i = 0; ; i++) {
      const own = url.host === this.host;
      const res = await this.sendTo(url, own && this.authorization ? { ...headers, Authorization: this.authorization } : headers);
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.statusCode ?? 0) || location === undefined) return res;
      res.resume();
      if (i === MAX_REDIRECTS) throw new PullError(`${this.host}: too many redirects for ${path}`);
      url = new URL(location, url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PullError(`${this.host}: redirect to unsupported URL ${url.protocol}`);
    }
  }

  private async sendTo(url: URL, headers: Record<string, string>): Promise<IncomingMessage> {
    try {
      return await send(url, { headers, ca: this.opts.ca });
    } catch (e) {
      throw new PullError(`cannot reach registry ${url.host} (${url.protocol.slice(0, -1)}): ${errMessage(e)}`);
    }
  }

  /**
   * The URL of `path` on this registry. Insecure hosts use HTTP; localhost
   * tries HTTPS first and falls back to HTTP when that fails, as containerd does.
   */
  private async url(path: string): Promise<URL> {
    const name = hostname(this.host);
    let scheme = this.opts.schemes.get(this.host);
    if (scheme === undefined) {
      if (this.opts.insecure.includes(this.host) || this.opts.insecure.includes(name)) scheme = 'http';
      else if (LOCAL_HOSTS.has(name)) {
        try {
          (await send(new URL(`https://${this.host}/v2/`), { ca: this.opts.ca })).resume();
          scheme = 'https';
        } catch (e) {
          // Only a server that does not speak TLS means HTTP: a bad certificate stays an error.
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'EPROTO' && code !== 'ECONNRESET') throw new PullError(`cannot reach registry ${this.host} (https): ${errMessage(e)}`);
          scheme = 'http';
        }
      } else scheme = 'https';
      this.opts.schemes.set(this.host, scheme);
    }
    return new URL(`${scheme}://${this.host}${path}`);
  }

  /** Answers a 401's challenge: basic credentials, or a bearer token from the challenge's realm. */
  private async authenticate(header: string): Promise<void> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const creds = basicCredentials(this.auth);
    if (bearer !== undefined) {
      this.authorization = `Bearer ${await this.token(bearer)}`;
    } else if (basic !== undefined) {
      if (creds === undefined) throw new PullError(`registry ${this.host} requires authentication and no credentials were given`);
      this.authorization = basicHeader(creds);
    } else {
      throw new PullError(`registry ${this.host} answered 401 with no supported authentication challenge (${JSON.stringify(header)})`);
    }
  }

  /** Fetches a bearer token from the challenge's realm (docker's token protocol, or OAuth2 with a refresh token). */
  private async token(ch: Challenge): Promise<string> {
    let realm: URL;
    try {
      realm = new URL(ch.params.realm ?? '');
    } catch {
      throw new PullError(`registry ${this.host}: bearer challenge without a valid realm`);
    }
    if (realm.protocol !== 'http:' && realm.protocol !== 'https:') throw new PullError(`registry ${this.host}: unsupported token realm ${realm.protocol}`);
    const scope = ch.params.scope ?? `repository:${this.repo}:pull`;
    const service = ch.params.service;
    const creds = basicCredentials(this.auth);
    let res: IncomingMessage;
    try {
      if (this.auth?.identity_token) {
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.auth.identity_token, client_id: 'tsvisor', scope });
        if (service !== undefined) form.set('service', service);
        res = await send(realm, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()), ca: this.opts.ca });
      } else {
        if (service !== undefined) realm.searchParams.set('service', service);
        realm.searchParams.set('scope', scope);
        res = await send(realm, { headers: creds !== undefined ? { Authorization: basicHeader(creds) } : {}, ca: this.opts.ca });
      }
    } catch (e) {
      throw new PullError(`cannot reach token service ${realm.host}: ${errMessage(e)}`);
    }
    if (res.statusCode !== 200) throw new PullError(`token service ${realm.host} refused: ${await this.describe(res)}`);
    let token: unknown;
    try {
      const parsed = JSON.parse((await readBody(res, MAX_TOKEN_BODY, 'token response')).toString('utf8')) as { token?: unknown; access_token?: unknown };
      token = parsed.token ?? parsed.access_token;
    } catch (e) {
      if (e instanceof PullError) throw e;
    }
    if (typeof token !== 'string' || token === '') throw new PullError(`token service ${realm.host} sent no token`);
    return token;
  }
}
