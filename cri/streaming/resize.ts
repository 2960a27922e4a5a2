// Terminal resize events: the client writes a stream of JSON objects
// {"Width":w,"Height":h} (client-go remotecommand.TerminalSize, encoded back
// to back by json.Encoder) on the resize stream or channel 4.
import type { Readable } from 'node:stream';

export interface TerminalSize { width: number; height: number }

/** Sizes in arrival order; iteration ends when the client's resize stream does. */
export class ResizeQueue implements AsyncIterable<TerminalSize> {
  private readonly items: TerminalSize[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;

  push(size: TerminalSize): void {
    if (this.ended) return;
    this.items.push(size);
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TerminalSize> {
    for (;;) {
      const next = this.items.shift();
      if (next) yield next;
      else if (this.ended) return;
      else await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

/**
 * Splits a byte stream into top-level JSON objects (strings and escapes are
 * honoured), so objects may span chunks or share one.
 */
export class JsonObjectSplitter {
  private text = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  /** Longest pending object accepted; a client sending more is cut off. */
  constructor(private readonly maxObject = 4096) {}

  push(chunk: string): string[] {
    this.text += chunk;
    const out: string[] = [];
    for (let i = this.scanned; i < this.text.length; i++) {
      const c = this.text[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
      } else if (c === '"') this.inString = true;
      else if (c === '{') {
        if (this.depth++ === 0) this.start = i;
      } else if (c === '}' && this.depth > 0) {
        if (--this.depth === 0) out.push(this.text.slice(this.start, i + 1));
      }
    }
    if (this.depth === 0) {
      this.text = '';
      this.scanned = 0;
    } else {
      this.text = this.text.slice(this.start);
      this.start = 0;
      this.scanned = this.text.length;
      if (this.text.length > this.maxObject) throw new Error(`resize message over ${this.maxObject} bytes`);
    }
    return out;
  }
}

/** Feed `queue` from a resize stream; malformed input ends the events (as kubelet's decoder loop does). */
export function readResizeEvents(source: Readable, queue: ResizeQueue): void {
  const splitter = new JsonObjectSplitter();
  source.setEncoding('utf8');
  source.on('data', (chunk: string) => {
    try {
      for (const text of splitter.push(chunk)) {
        const obj: unknown = JSON.parse(text);
        queue.push(toSize(obj));
      }
    } catch {
      queue.end();
      source.removeAllListeners('data');
      source.resume();
    }
  });
  source.on('end', () => queue.end());
  source.on('close', () => queue.end());
  source.on('error', () => queue.end());
}

function toSize(obj: unknown): TerminalSize {
  if (typeof obj !== 'object' || obj === null) throw new Error('resize event is not an object');
  const { Width, Height } = obj as { Width?: unknown; Height?: unknown };
  const dim = (v: unknown): number => {
    if (v === undefined) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) throw new Error('bad terminal dimension');
    return v;
  };
  return { width: dim(Width), height: dim(Height) };
}
