/**
 * Registry authentication pieces: the CRI AuthConfig, WWW-Authenticate
 * challenge parsing (RFC 7235) and the credentials a challenge needs.
 */
import { PullError } from './errors';

/** CRI's AuthConfig, as the gRPC layer decodes it. */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64 of `user:password`. */
  auth?: string;
  server_address?: string;
  /** An OAuth2 refresh token, exchanged at the token endpoint. */
  identity_token?: string;
  /** A bearer token sent to the registry as is. */
  registry_token?: string;
}

export interface Challenge {
  /** Lower-cased: 'basic', 'bearer', … */
  scheme: string;
  params: Record<string, string>;
}

const TOKEN_RE = /\s*([^\s=,]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?\s*,?/y;

/** The challenges of a WWW-Authenticate header, e.g. `Bearer realm="…",service="…"`. */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  TOKEN_RE.lastIndex = 0;
  for (let m = TOKEN_RE.exec(header); m !== null && m[0] !== ''; m = TOKEN_RE.exec(header)) {
    const [, name, quoted, bare] = m;
    if (quoted === undefined && bare === undefined) out.push({ scheme: name.toLowerCase(), params: {} });
    else if (out.length > 0) out[out.length - 1].params[name.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : bare;
  }
  return out;
}

/** The user name and password in `auth`, from username/password or the base64 `auth` field. */
export function basicCredentials(auth: AuthConfig | undefined): { username: string; password: string } | undefined {
  if (auth?.username) return { username: auth.username, password: auth.password ?? '' };
  if (auth?.auth) {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new PullError('invalid auth in AuthConfig: expected base64 of user:password');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

export function basicHeader(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
