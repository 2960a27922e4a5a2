/**
 * The sandbox's network stack: one sentry/net Stack per kernel (the
 * sandbox is one network namespace), made on first use with `lo` and, in
 * `sandbox` mode inside a network namespace, the interface taken over at
 * start (sentry/network.ts).
 * Its protocol timers run on the kernel's timers, because the Sentry's
 * scheduler loop never returns to Node's event loop (so realClock's
 * setTimeout/setImmediate would never fire while the app runs).
 */
import type { Kernel } from '../../kernel/kernel';
import { monotonicNs, type Timers } from '../../kernel/timers';
import type { Clock } from '../../net/clock';
import { Stack } from '../../net/stack';
import type { HostProcNet } from '../../platform/host/procnet';
import type { PacketLink } from './packetlink';
import type { NetworkMode } from '../../network';

/** The Ethernet interface the sandbox took over: its packet socket and the host's settings for it. */
export interface SandboxNic {
  link: PacketLink;
  name: string;
  address: string;
  prefixLength: number;
  gateway?: string;
}

export interface NetworkOptions {
  mode: NetworkMode;
  nic?: SandboxNic;
  /** `host` mode: the host's socket tables, which /proc/net shows (procnet.ts). */
  hostTables?: HostProcNet;
}

/** A Clock on kernel timers: callbacks run on the scheduler's next turn at or after the deadline. */
export function kernelClock(timers: Timers): Clock {
  return {
    now: () => Number(monotonicNs()) / 1e6,
    setTimer(delayMs, fn) {
      const h = timers.schedule(monotonicNs() + BigInt(Math.max(0, Math.ceil(delayMs * 1e6))), fn);
      return { cancel: () => timers.cancel(h) };
    },
  };
}

const stacks = new WeakMap<Kernel, Stack>();

/** The kernel's stack, created on first use. */
export function netStack(k: Kernel): Stack {
  let s = stacks.get(k);
  if (!s) {
    s = new Stack({ clock: kernelClock(k.timers) });
    const nic = k.opts.network?.nic;
    if (nic) {
      s.attachEthernet(nic.link, nic);
      nic.link.attach(s);
    }
    stacks.set(k, s);
  }
  return s;
}

/**
 * Debug-log lines about the stack at the end (none if it was never made):
 * its counters, and the last internal error a malformed input provoked
 * (the fuzz and hostile-frame tests require none).
 */
export function netReport(k: Kernel): string[] {
  const s = stacks.get(k);
  if (!s) return [];
  const counts = Object.entries(s.stats.snapshot()).map(([name, n]) => `${name}=${n}`);
  const lines = [`net: ${counts.length ? counts.join(' ') : 'no events'}`];
  if (s.lastInternalError !== undefined) lines.push(`net: last internal error: ${String(s.lastInternalError)}`);
  return lines;
}
