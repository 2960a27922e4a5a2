/**
 * Counters of what the stack dropped or did and why (tests assert on them;
 * later the Sentry can expose them like /proc/net/snmp).
 */
export class NetStats {
  private readonly counts = new Map<string, number>();

  inc(name: string, n = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }

  get(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
