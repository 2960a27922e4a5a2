/** Two stacks on one simulated cable (10.0.0.1/24 and 10.0.0.2/24) and helpers to drive them. */
import { isLinuxError, LinuxError } from '../../errors/linuxerr';
import type { ErrnoName } from '../../abi/linux/errno';
import { parseIpv4 } from '../addr';
import { Stack, type StackOptions } from '../stack';
import type { TcpEndpoint } from '../tcp/endpoint';
import { FakeClock } from './clock';
import { seededRandom } from './random';
import { FakeWire, type WireConditions } from './wire';

export const A_ADDR = parseIpv4('10.0.0.1');
export const B_ADDR = parseIpv4('10.0.0.2');

export interface Pair {
  readonly clock: FakeClock;
  readonly wire: FakeWire;
  readonly a: Stack;
  readonly b: Stack;
}

export function stackPair(opts: { conditions?: WireConditions; seed?: number; stack?: Omit<StackOptions, 'clock' | 'random'> } = {}): Pair {
  const clock = new FakeClock();
  const random = seededRandom(opts.seed ?? 1);
  const wire = new FakeWire(clock, random, opts.conditions ?? { delayMs: 1 });
  const a = new Stack({ ...opts.stack, clock, random });
  const b = new Stack({ ...opts.stack, clock, random });
  a.attachEthernet(wire.a, { address: '10.0.0.1', prefixLength: 24 });
  b.attachEthernet(wire.b, { address: '10.0.0.2', prefixLength: 24 });
  wire.plug('a', a);
  wire.plug('b', b);
  return { clock, wire, a, b };
}

/** The errno name `fn` throws (a LinuxError), or 'ok'. */
export function errnoOf(fn: () => unknown): ErrnoName | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof LinuxError && e.code) return e.code;
    throw e;
  }
}

/** Calls `fn` until it stops throwing EAGAIN, advancing the clock between tries (up to `limitMs`). */
export function until<T>(p: Pair, fn: () => T, limitMs = 60_000): T {
  let result: T | undefined;
  let got = false;
  const attempt = () => {
    try {
      result = fn();
      got = true;
    } catch (e) {
      if (!isLinuxError(e, 'EAGAIN')) throw e;
    }
    return got;
  };
  if (!p.clock.runUntil(attempt, p.clock.now() + limitMs)) throw new Error(`still EAGAIN after ${limitMs} ms`);
  return result as T;
}

/** A connected pair: a client on stack a, the accepted server side on stack b. */
export function connectPair(p: Pair, port = 80): { client: TcpEndpoint; server: TcpEndpoint; listener: TcpEndpoint } {
  const listener = p.b.tcpSocket();
  listener.bind({ addr: 0, port });
  listener.listen(16);
  const client = p.a.tcpSocket();
  if (errnoOf(() => client.connect({ addr: B_ADDR, port })) !== 'EINPROGRESS') throw new Error('connect did not start');
  const server = until(p, () => listener.accept());
  p.clock.runUntil(() => client.state === 'ESTABLISHED', p.clock.now() + 10_000);
  return { client, server, listener };
}

/** Reads everything until EOF, advancing the clock. */
export function readAll(p: Pair, e: TcpEndpoint, limitMs = 600_000): Buffer {
  const parts: Buffer[] = [];
  const deadline = p.clock.now() + limitMs;
  for (;;) {
    const chunk = until(p, () => e.read(1 << 20), deadline - p.clock.now());
    if (chunk.length === 0) return Buffer.concat(parts);
    parts.push(chunk);
  }
}

/**
 * Sends `data` from `from` to `to` (then FIN), pumping both sides after
 * every timer; returns what `to` read before EOF and the simulated time.
 */
export function transfer(p: Pair, from: TcpEndpoint, to: TcpEndpoint, data: Buffer, limitMs = 3_600_000): { received: Buffer; ms: number } {
  const start = p.clock.now();
  let off = 0;
  let shut = false;
  let eof = false;
  const got: Buffer[] = [];
  const pump = (): boolean => {
    while (off < data.length) {
      const n = tryOrEagain(() => from.write(data.subarray(off, off + 65536)));
      if (n === undefined) break;
      off += n;
    }
    if (off === data.length && !shut) {
      from.shutdown(1);
      shut = true;
    }
    for (;;) {
      const chunk = tryOrEagain(() => to.read(1 << 20));
      if (chunk === undefined) break;
      if (chunk.length === 0) {
        eof = true;
        break;
      }
      got.push(chunk);
    }
    return eof;
  };
  if (!p.clock.runUntil(pump, start + limitMs)) throw new Error(`transfer incomplete after ${limitMs} ms: sent ${off}, received ${got.reduce((n, b) => n + b.length, 0)}`);
  return { received: Buffer.concat(got), ms: p.clock.now() - start };
}

function tryOrEagain<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (isLinuxError(e, 'EAGAIN')) return undefined;
    throw e;
  }
}

/** Deterministic test data that reveals misordered or shifted bytes. */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed * 2654435761 + 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export interface Captured {
  readonly t: number;
  readonly from: 'a' | 'b';
  readonly frame: Buffer;
}

/** Records every frame put on the wire; `drop` (optional) decides which are lost. */
export function capture(p: Pair, drop?: (frame: Buffer, from: 'a' | 'b') => boolean): Captured[] {
  const log: Captured[] = [];
  p.wire.filter = (frame, from) => {
    log.push({ t: p.clock.now(), from, frame });
    return !drop?.(frame, from);
  };
  return log;
}

/** Makes both stacks learn each other's MAC (a datagram to a closed port and the ICMP answer). */
export function warmArp(p: Pair): void {
  const u = p.a.udpSocket();
  u.sendto(Buffer.from('arp'), { addr: B_ADDR, port: 9 });
  p.clock.advance(5000);
  u.close();
}
