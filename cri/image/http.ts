/** One HTTP(S) request with a timeout and bounded body reads, for the registry client. */
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { PullError } from './errors';

/** No bytes for this long fails the request: a stalled registry must not hang a pull forever. */
const IDLE_TIMEOUT_MS = 60_000;

export interface SendOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer;
  /** Extra CA certificates (PEM) for HTTPS. */
  ca?: Buffer;
}

/** Sends one request; resolves with the response head, the body still unread. */
export function send(url: URL, opts: SendOptions = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, {
      method: opts.method ?? 'GET',
      headers: { 'User-Agent': 'tsvisor', ...opts.headers },
      ...(url.protocol === 'https:' && opts.ca !== undefined ? { ca: [...tls.rootCertificates, opts.ca.toString()] } : {}),
    });
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no response from ${url.host} for ${IDLE_TIMEOUT_MS / 1000}s`)));
    req.on('error', reject);
    req.on('response', (res) => {
      res.setTimeout(IDLE_TIMEOUT_MS, () => res.destroy(new Error(`${url.host} stalled for ${IDLE_TIMEOUT_MS / 1000}s`)));
      resolve(res);
    });
    req.end(opts.body);
  });
}

/** Reads the whole body, failing once it exceeds `max` bytes. */
export async function readBody(res: http.IncomingMessage, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (declared > max) {
    res.destroy();
    throw new PullError(`${what} is ${declared} bytes, over the limit of ${max}`);
  }
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) {
      res.destroy();
      throw new PullError(`${what} is over the limit of ${max} bytes`);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
