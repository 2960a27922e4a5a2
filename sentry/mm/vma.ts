/**
 * The VMA model: what the application has mapped where. Areas are kept
 * sorted and non-overlapping; adjacent areas that Linux would merge (same
 * protection, flags and a contiguous backing) are merged after every change,
 * so /proc/self/maps looks like Linux's.
 */
import { type MemPolicy, samePolicy } from '../kernel/mempolicy';
import type { ShmTarget } from './shmattach';

/** What a mapping shows in /proc/self/maps and how it is refilled. */
export type Backing =
  | { readonly kind: 'anon' }
  | { readonly kind: 'heap' }
  | { readonly kind: 'stack' }
  /**
   * A file: `offset` is the file offset of the area's start. A private copy,
   * or with `cache` the file's shared copy (mm/filecache.ts) for MAP_SHARED.
   */
  | { readonly kind: 'file'; readonly path: string; readonly offset: number; readonly dev: number; readonly ino: number; readonly cache?: number }
  /**
   * MAP_SHARED|MAP_ANONYMOUS memory: `id` names the shared object (the same
   * in the copies fork makes and after mremap), `offset` is the area start's
   * offset in it. Shared futexes are keyed by the two (kernel/futex.ts).
   */
  | { readonly kind: 'shmem'; readonly id: number; readonly offset: number }
  /**
   * An attached System V shared memory segment (shmat(2)): `offset` is the
   * area start's offset in the segment's slot. Never merged with a
   * neighbour (Linux does not merge VMAs whose close counts attachments).
   */
  | { readonly kind: 'sysvshm'; readonly seg: ShmTarget; readonly offset: number }
  /** Anonymous memory with a fixed maps name (e.g. "[anon:foo]"). */
  | { readonly kind: 'named'; readonly name: string }
  /**
   * The vvar page (mapped shared) or the vDSO image (private) that exec maps
   * (kernel/vdso): `offset` is the area start's offset in the platform's
   * shared memory. Never merged, not the app's memory.
   */
  | { readonly kind: 'vdso'; readonly name: '[vvar]' | '[vdso]'; readonly offset: number };

export interface Vma {
  readonly start: number;
  readonly end: number;
  /** PROT_READ|PROT_WRITE|PROT_EXEC. */
  readonly prot: number;
  /** The most mprotect may grant (no PROT_WRITE for read-only MAP_SHARED files). */
  readonly maxProt: number;
  readonly shared: boolean;
  readonly growsDown: boolean;
  readonly backing: Backing;
  /** mbind(2)'s NUMA policy for the area; none: the task's. */
  readonly policy?: MemPolicy;
  /**
   * MADV_RANDOM or MADV_SEQUENTIAL (Linux's VM_RAND_READ, VM_SEQ_READ): only
   * a hint here, but areas split and merge on it as Linux's do, which
   * /proc/self/maps and mremap's one-area rule show.
   */
  readonly readAhead?: 'random' | 'sequential';
}

/**
 * `v` restricted to [start, end) (which must lie inside it), or the same
 * object continued over [start, end) right after it (mremap growing it).
 */
export function clip(v: Vma, start: number, end: number): Vma {
  const b = v.backing;
  const backing = b.kind === 'file' || b.kind === 'shmem' || b.kind === 'sysvshm' || b.kind === 'vdso' ? { ...b, offset: b.offset + (start - v.start) } : b;
  return { ...v, start, end, backing };
}

function sameBacking(a: Vma, b: Vma): boolean {
  const x = a.backing;
  const y = b.backing;
  if (x.kind === 'file' && y.kind === 'file') {
    return x.path === y.path && x.dev === y.dev && x.ino === y.ino && x.offset + (a.end - a.start) === y.offset;
  }
  if (x.kind === 'shmem' && y.kind === 'shmem') return x.id === y.id && x.offset + (a.end - a.start) === y.offset;
  if (x.kind === 'named' && y.kind === 'named') return x.name === y.name;
  return x.kind === y.kind && x.kind !== 'file' && x.kind !== 'named' && x.kind !== 'shmem' && x.kind !== 'sysvshm' && x.kind !== 'vdso';
}

function mergeable(a: Vma, b: Vma): boolean {
  return (
    a.end === b.start && a.prot === b.prot && a.maxProt === b.maxProt && a.shared === b.shared &&
    a.growsDown === b.growsDown && sameBacking(a, b) && samePolicy(a.policy, b.policy) && a.readAhead === b.readAhead
  );
}

export class VmaSet {
  private areas: Vma[] = [];
  /** Changes with every insert, remove and update, so derived numbers can be cached (kernel/memcg.ts's bound). */
  generation = 0;

  get size(): number {
    return this.areas.length;
  }

  all(): readonly Vma[] {
    return this.areas;
  }

  /** Index of the first area whose end is above addr. */
  private firstEndingAfter(addr: number): number {
    let lo = 0;
    let hi = this.areas.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.areas[mid].end <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The area containing addr. */
  find(addr: number): Vma | undefined {
    const v = this.areas[this.firstEndingAfter(addr)];
    return v !== undefined && v.start <= addr ? v : undefined;
  }

  /** Areas overlapping [start, end), in address order (unclipped). */
  overlapping(start: number, end: number): Vma[] {
    const out: Vma[] = [];
    for (let i = this.firstEndingAfter(start); i < this.areas.length && this.areas[i].start < end; i++) {
      out.push(this.areas[i]);
    }
    return out;
  }

  isFree(start: number, end: number): boolean {
    return this.overlapping(start, end).length === 0;
  }

  /** True when every byte of [start, end) is mapped. */
  isCovered(start: number, end: number): boolean {
    let at = start;
    for (const v of this.overlapping(start, end)) {
      if (v.start > at) return false;
      at = v.end;
    }
    return at >= end;
  }

  /** Adds an area over a free range. */
  insert(v: Vma): void {
    if (v.start >= v.end || !this.isFree(v.start, v.end)) throw new Error(`vma insert over used range ${v.start.toString(16)}`);
    this.generation++;
    this.areas.splice(this.firstEndingAfter(v.start), 0, v);
    this.normalize();
  }

  /** Removes [start, end) from the set, splitting areas at the edges; returns the removed pieces. */
  remove(start: number, end: number): Vma[] {
    this.generation++;
    const removed: Vma[] = [];
    const keep: Vma[] = [];
    const i = this.firstEndingAfter(start);
    let j = i;
    for (; j < this.areas.length && this.areas[j].start < end; j++) {
      const v = this.areas[j];
      if (v.start < start) keep.push(clip(v, v.start, start));
      if (v.end > end) keep.push(clip(v, end, v.end));
      removed.push(clip(v, Math.max(v.start, start), Math.min(v.end, end)));
    }
    this.areas.splice(i, j - i, ...keep);
    return removed;
  }

  /** Replaces every area piece inside [start, end) with change(piece). */
  update(start: number, end: number, change: (piece: Vma) => Vma): void {
    for (const piece of this.remove(start, end)) {
      this.areas.splice(this.firstEndingAfter(piece.start), 0, change(piece));
    }
    this.normalize();
  }

  /**
   * The highest page-aligned start of a free range of `len` bytes within
   * [low, high), or undefined.
   */
  gapTopDown(len: number, low: number, high: number): number | undefined {
    const i = this.firstEndingAfter(high);
    let top = i < this.areas.length ? Math.min(this.areas[i].start, high) : high;
    for (let k = i - 1; ; k--) {
      const bottom = k >= 0 ? Math.max(this.areas[k].end, low) : low;
      if (top - bottom >= len) return top - len;
      if (k < 0 || this.areas[k].start <= low) return undefined;
      top = this.areas[k].start;
    }
  }

  private normalize(): void {
    const out: Vma[] = [];
    for (const v of this.areas) {
      const last = out[out.length - 1];
      if (last !== undefined && mergeable(last, v)) out[out.length - 1] = { ...last, end: v.end };
      else out.push(v);
    }
    this.areas = out;
  }
}
