/**
 * Placing and mapping PT_LOAD segments the way binfmt_elf does (elf_map,
 * elf_load, total_mapping_size), as private copies of the file. All checks
 * run before the point of no return, so a bad layout fails execve with the
 * errno Linux's mapping step would produce instead of killing the caller.
 */
import { ET_DYN, PF_R, PF_W, PF_X } from '../abi/linux/elf';
import { MMAP_MIN_ADDR, PAGE_SIZE, PROT, PROT_RWX } from '../abi/linux/mm';
import { fail } from '../errors/linuxerr';
import { isPageAligned, pageDown, pageUp } from '../mm/layout';
import { MemoryManager } from '../mm/mm';
import { FileDescription } from '../vfs/file';
import { ElfImage } from './elf';

/** Where the segments of a loaded ELF ended up (mm_struct's view). */
export interface LoadedElf {
  bias: number;
  entry: number;
  phdr: number;
  startCode: number;
  endCode: number;
  startData: number;
  endData: number;
  /** End of the highest segment (the heap starts at the page after). */
  brk: number;
}

export function segmentProt(flags: number): number {
  return ((flags & PF_R) !== 0 ? PROT.READ : 0) | ((flags & PF_W) !== 0 ? PROT.WRITE : 0) | ((flags & PF_X) !== 0 ? PROT.EXEC : 0);
}

/** Bytes from the first segment's page to the last segment's end (total_mapping_size). */
export function totalMappingSize(elf: ElfImage): number {
  const first = elf.loads[0];
  const last = elf.loads[elf.loads.length - 1];
  if (first === undefined) fail('EINVAL', 'no PT_LOAD segments');
  const size = pageUp(last.vaddr + last.memsz) - pageDown(first.vaddr);
  if (size === 0) fail('EINVAL', 'empty PT_LOAD span');
  if (size < 0) fail('ENOMEM', 'PT_LOAD segments out of order');
  return size;
}

/** Largest power-of-two p_align of the PT_LOADs (maximum_alignment), at least a page. */
function maxAlignment(elf: ElfImage): number {
  let a = PAGE_SIZE;
  for (const s of elf.loads) if (s.align > a && (s.align & (s.align - 1)) === 0 && s.align <= 2 ** 30) a = s.align;
  return a;
}

/**
 * Load bias for the main executable: 0 for ET_EXEC; for an ET_DYN with an
 * interpreter, ELF_ET_DYN_BASE (2/3 of the address space) plus the
 * `random` offset (ASLR), aligned to the segments' alignment; an ET_DYN run directly (a static PIE or ld.so) goes
 * where mmap would put it in the empty address space: just below the mmap base.
 */
export function mainBias(elf: ElfImage, taskSize: number, mmapBase: number, random = 0): number {
  if (elf.type !== ET_DYN) return 0;
  const first = pageDown(elf.loads[0]?.vaddr ?? 0);
  if (elf.interp !== undefined) {
    const align = maxAlignment(elf);
    const base = Math.floor(((taskSize / 3) * 2 + random) / align) * align;
    return pageDown(base - first);
  }
  return mmapBase - totalMappingSize(elf) - first;
}

/** Bias for an interpreter: ET_DYN goes at a free range, ET_EXEC at its own addresses. */
export function interpBias(elf: ElfImage, mm: MemoryManager): number {
  if (elf.type !== ET_DYN) return 0;
  return mm.findFree(totalMappingSize(elf)) - pageDown(elf.loads[0]?.vaddr ?? 0);
}

/**
 * Checks every PT_LOAD as elf_map/elf_load would. With `bias` the absolute
 * addresses are checked too: a file part beyond `limit` is ENOMEM (mmap),
 * below mmap_min_addr EPERM; p_filesz > p_memsz or a p_memsz that cannot
 * fit is EINVAL; p_offset and p_vaddr must agree modulo the page size.
 */
export function checkSegments(elf: ElfImage, limit: number, bias?: number): void {
  totalMappingSize(elf);
  for (const s of elf.loads) {
    if (!isPageAligned(s.vaddr - s.offset)) fail('EINVAL', 'p_offset and p_vaddr disagree modulo the page size');
    if (bias !== undefined) {
      const start = bias + pageDown(s.vaddr);
      if (s.filesz > 0 && bias + pageUp(s.vaddr + s.filesz) > limit) fail('ENOMEM', 'segment beyond the address space');
      if (start < MMAP_MIN_ADDR) fail('EPERM', 'segment below mmap_min_addr');
    }
    if (s.filesz > s.memsz || s.memsz > limit || (bias ?? 0) + s.vaddr > limit - s.memsz) fail('EINVAL', 'bad segment size');
  }
}

/** Maps every PT_LOAD of `elf` at `bias` as private copies of `file`, zeroing bss. */
export function loadSegments(mm: MemoryManager, file: FileDescription, elf: ElfImage, bias: number): LoadedElf {
  const st = file.stat();
  const out: LoadedElf = {
    bias, entry: bias + elf.entry, phdr: elf.phdrVaddr === 0 ? 0 : bias + elf.phdrVaddr,
    startCode: Number.MAX_SAFE_INTEGER, endCode: 0, startData: 0, endData: 0, brk: 0,
  };
  for (const s of elf.loads) {
    const prot = segmentProt(s.flags);
    const start = bias + pageDown(s.vaddr);
    const fileEnd = bias + s.vaddr + s.filesz;
    const mapEnd = pageUp(fileEnd);
    const memEnd = pageUp(bias + s.vaddr + s.memsz);
    const base = { prot, maxProt: PROT_RWX, shared: false, growsDown: false };
    if (s.filesz > 0) {
      const offset = s.offset - (s.vaddr % PAGE_SIZE);
      // A copy-on-write mapping of the file's cached image when it has one, else a copy.
      const image = mm.imageOf(file, offset, mapEnd - start);
      const zeroTail = s.memsz > s.filesz && mapEnd > fileEnd;
      const fill = (): void => {
        if (image === undefined) mm.copyFromFile(file, offset, start, mapEnd - start);
        if (zeroTail) mm.io.write(fileEnd, Buffer.alloc(mapEnd - fileEnd));
      };
      const backing = { kind: 'file', path: file.path, offset, dev: st.dev, ino: st.ino } as const;
      mm.mapArea({ ...base, start, end: mapEnd, backing }, image === undefined || zeroTail ? fill : undefined, image);
    }
    const bssStart = s.filesz > 0 ? mapEnd : start;
    if (memEnd > bssStart) mm.mapArea({ ...base, start: bssStart, end: memEnd, backing: { kind: 'anon' } });
    const v = bias + s.vaddr;
    if ((s.flags & PF_X) !== 0) {
      out.startCode = Math.min(out.startCode, v);
      out.endCode = Math.max(out.endCode, fileEnd);
    }
    out.startData = Math.max(out.startData, v);
    out.endData = Math.max(out.endData, fileEnd);
    out.brk = Math.max(out.brk, bias + s.vaddr + s.memsz);
  }
  if (out.startCode > out.endCode) out.startCode = out.endCode;
  return out;
}
