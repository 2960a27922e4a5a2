/**
 * Test doubles for code above the platform: an AddressSpace + MemoryIO over
 * a sparse page map that enforces page protections the way
 * process_vm_readv/writev do, and records every host call it receives.
 */
import { O, S_IFREG } from '../abi/linux/fs';
import { PAGE_SIZE, PROT } from '../abi/linux/mm';
import { fail } from '../errors/linuxerr';
import { AddressSpace, MemoryIO, writeEach } from '../platform/platform';
import { FileDescription, Stat } from '../vfs/file';

interface Page {
  prot: number;
  data?: Buffer;
}

export class FakeMemory implements AddressSpace, MemoryIO {
  readonly calls: string[] = [];
  readonly pages = new Map<number, Page>();

  private range(addr: number, len: number): number[] {
    if (addr % PAGE_SIZE !== 0 || len % PAGE_SIZE !== 0 || len <= 0) throw new Error(`unaligned host call ${addr.toString(16)}+${len}`);
    return Array.from({ length: len / PAGE_SIZE }, (_, i) => addr / PAGE_SIZE + i);
  }

  mapAnonymous(addr: number, len: number, prot: number, shared = false): void {
    this.calls.push(`map ${addr.toString(16)} ${len.toString(16)} ${prot}${shared ? ' shared' : ''}`);
    for (const p of this.range(addr, len)) this.pages.set(p, { prot });
  }

  unmap(addr: number, len: number): void {
    this.calls.push(`unmap ${addr.toString(16)} ${len.toString(16)}`);
    const first = addr / PAGE_SIZE;
    const last = (addr + len) / PAGE_SIZE;
    for (const p of [...this.pages.keys()]) if (p >= first && p < last) this.pages.delete(p);
  }

  protect(addr: number, len: number, prot: number): void {
    this.calls.push(`protect ${addr.toString(16)} ${len.toString(16)} ${prot}`);
    const pages = this.range(addr, len);
    if (pages.some((p) => !this.pages.has(p))) fail('ENOMEM', 'host mprotect of unmapped page');
    for (const p of pages) (this.pages.get(p) as Page).prot = prot;
  }

  remap(oldAddr: number, oldLen: number, newLen: number, newAddr: number): void {
    this.calls.push(`remap ${oldAddr.toString(16)} ${oldLen.toString(16)} ${newLen.toString(16)} ${newAddr.toString(16)}`);
    const old = this.range(oldAddr, oldLen).map((p) => this.pages.get(p) ?? fail('EFAULT', 'host mremap of unmapped page'));
    for (const p of this.range(oldAddr, oldLen)) this.pages.delete(p);
    const target = this.range(newAddr, newLen);
    target.forEach((p, i) => this.pages.set(p, old[i] ?? { prot: old[0].prot }));
  }

  private page(addr: number, write: boolean): Page {
    const pg = this.pages.get(Math.floor(addr / PAGE_SIZE));
    if (pg === undefined || pg.prot === PROT.NONE || (write && (pg.prot & PROT.WRITE) === 0)) fail('EFAULT', `fake ${write ? 'write' : 'read'} at ${addr.toString(16)}`);
    return pg;
  }

  read(addr: number, len: number): Buffer {
    const b = Buffer.alloc(len);
    this.readInto(addr, b);
    return b;
  }

  readInto(addr: number, dst: Uint8Array): void {
    for (let i = 0; i < dst.length; ) {
      const off = (addr + i) % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, dst.length - i);
      const pg = this.page(addr + i, false);
      if (pg.data) dst.set(pg.data.subarray(off, off + n), i);
      else dst.fill(0, i, i + n);
      i += n;
    }
  }

  write(addr: number, src: Uint8Array): void {
    for (let i = 0; i < src.length; ) {
      const off = (addr + i) % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, src.length - i);
      const pg = this.page(addr + i, true);
      pg.data ??= Buffer.alloc(PAGE_SIZE);
      pg.data.set(src.subarray(i, i + n), off);
      i += n;
    }
  }

  writeParts(addr: number, parts: readonly Uint8Array[]): void {
    writeEach(this, addr, parts);
  }

  /** Protection of the page holding addr (undefined when unmapped). */
  protAt(addr: number): number | undefined {
    return this.pages.get(Math.floor(addr / PAGE_SIZE))?.prot;
  }
}

/** A FileDescription over an in-memory buffer (pread-only; writes fail with EBADF). */
export class MemFile implements FileDescription {
  refs = 1;
  constructor(
    readonly path: string,
    readonly data: Buffer,
    public flags: number = O.RDONLY,
    readonly mode = S_IFREG | 0o755,
    readonly owner = { uid: 0, gid: 0 },
  ) {}

  read(): number {
    return fail('EBADF', 'MemFile.read');
  }
  pread(dst: Buffer, offset: number): number {
    if (offset >= this.data.length) return 0;
    return this.data.copy(dst, 0, offset, Math.min(this.data.length, offset + dst.length));
  }
  write(): number {
    return fail('EBADF', 'MemFile.write');
  }
  pwrite(): number {
    return fail('EBADF', 'MemFile.pwrite');
  }
  seek(): number {
    return fail('ESPIPE', 'MemFile.seek');
  }
  stat(): Stat {
    const t = { sec: 0, nsec: 0 };
    return {
      dev: 0xfe01, ino: 4242, mode: this.mode, nlink: 1, uid: this.owner.uid, gid: this.owner.gid, rdev: 0,
      size: this.data.length, blksize: 4096, blocks: Math.ceil(this.data.length / 512), atime: t, mtime: t, ctime: t,
    };
  }
  incRef(): void {
    this.refs++;
  }
  decRef(): void {
    this.refs--;
  }
}
