// Single-use tokens for streaming URLs: the CRI Exec/Attach/PortForward RPCs
// park a request under a random token, and the first HTTP request for that
// token consumes it. Tokens expire after a minute; at most `maxInFlight`
// are parked at once (kubelet's request cache keeps the same limits).
import { randomBytes } from 'node:crypto';

export const TOKEN_TTL_MS = 60_000;
export const MAX_IN_FLIGHT = 1000;

export class TooManyInFlightError extends Error {
  constructor() {
    super('maximum number of in-flight streaming requests exceeded');
  }
}

export class TokenCache<T> {
  private readonly entries = new Map<string, { value: T; expires: number }>();

  constructor(private readonly ttlMs = TOKEN_TTL_MS, private readonly maxInFlight = MAX_IN_FLIGHT, private readonly now: () => number = Date.now) {}

  insert(value: T): string {
    this.gc();
    if (this.entries.size >= this.maxInFlight) throw new TooManyInFlightError();
    let token: string;
    do token = randomBytes(18).toString('base64url');
    while (this.entries.has(token));
    this.entries.set(token, { value, expires: this.now() + this.ttlMs });
    return token;
  }

  /** The parked value, once: a second call, or a call after expiry, gets undefined. */
  consume(token: string): T | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    this.entries.delete(token);
    return this.now() > e.expires ? undefined : e.value;
  }

  get size(): number {
    return this.entries.size;
  }

  private gc(): void {
    const now = this.now();
    // Map order is insertion order, so expired entries are at the front.
    for (const [token, e] of this.entries) {
      if (e.expires >= now) break;
      this.entries.delete(token);
    }
  }
}
