/**
 * The vvar page: the clock parameters the vDSO reads (read_ns in code.ts),
 * in the platform's shared memory, mapped read-only into every process.
 * The Sentry writes it under a sequence count, as Linux's vDSO data: odd
 * while a write is under way, so a reader that saw it odd or changed reads
 * again. Other threads of the app may run while the Sentry writes.
 */
import type { SharedMemory } from '../../platform/platform';
import type { ClockParams } from './timekeeper';

/** Byte offsets of the u64 fields (code.ts hard-codes them). */
export const VVAR = { seq: 0, baseTsc: 8, baseNs: 16, mult: 24, realOffset: 32, bootOffset: 40, ready: 48 } as const;
const FIELDS_END = 56;

export class VvarPage {
  private seq = 0n;
  private readonly word = Buffer.alloc(8);
  private readonly fields = Buffer.alloc(FIELDS_END - VVAR.baseTsc);

  constructor(
    private readonly mem: SharedMemory,
    /** The page's offset in the shared memory. */
    private readonly offset: number,
  ) {}

  /** Publishes `p`, or with undefined tells the vDSO to make real syscalls. */
  write(p: ClockParams | undefined): void {
    this.writeSeq();
    const f = this.fields;
    const at = (field: number): number => field - VVAR.baseTsc;
    f.fill(0);
    if (p !== undefined) {
      f.writeBigUInt64LE(p.baseTsc, at(VVAR.baseTsc));
      f.writeBigUInt64LE(p.baseNs, at(VVAR.baseNs));
      f.writeBigUInt64LE(p.mult, at(VVAR.mult));
      f.writeBigInt64LE(p.realOffset, at(VVAR.realOffset));
      f.writeBigInt64LE(p.bootOffset, at(VVAR.bootOffset));
      f.writeBigUInt64LE(1n, at(VVAR.ready));
    }
    this.mem.write(this.offset + VVAR.baseTsc, f);
    this.writeSeq();
  }

  private writeSeq(): void {
    this.seq++;
    this.word.writeBigUInt64LE(this.seq);
    this.mem.write(this.offset + VVAR.seq, this.word);
  }
}
