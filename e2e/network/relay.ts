/** The lossy, reordering bridge of py/impair_relay.py, run in the middle namespace of `bridgedHosts`. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../syscalls/harness';
import type { BridgedHosts, NetLab } from './netns';
import { PY } from './sandbox';

export interface RelayCounts {
  forwarded: number;
  dropped: number;
  reordered: number;
  send_errors: number;
}

export interface Impairment {
  loss: number;
  reorder: number;
  seed: number;
}

export class ImpairRelay {
  private lines: string[] = [];
  private waiting?: () => void;
  private partial = '';
  private err = '';

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      const parts = (this.partial + d).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.waiting?.();
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    child.once('exit', () => this.waiting?.());
  }

  static async start(lab: NetLab, net: BridgedHosts, i: Impairment): Promise<ImpairRelay> {
    const script = join(REPO_ROOT, 'e2e', 'network', 'py', 'impair_relay.py');
    const child = lab.spawn(net.r, [PY, script, ...net.rDevs, String(i.loss), String(i.reorder), String(i.seed)]);
    const relay = new ImpairRelay(child);
    const ready = await relay.nextLine();
    if (ready !== 'ready') throw new Error(`the relay did not start: ${ready} ${relay.err}`);
    return relay;
  }

  private async nextLine(): Promise<string> {
    const deadline = Date.now() + 10_000;
    while (this.lines.length === 0) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the relay exited: ${this.err}`);
      if (Date.now() > deadline) throw new Error(`the relay does not answer: ${this.err}`);
      await new Promise<void>((res) => {
        this.waiting = res;
        setTimeout(res, 200);
      });
    }
    return this.lines.shift() ?? '';
  }

  /** The counts so far. */
  async counts(): Promise<RelayCounts> {
    this.child.stdin?.write('\n');
    return JSON.parse(await this.nextLine()) as RelayCounts;
  }
}
