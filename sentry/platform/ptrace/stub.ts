/**
 * The stub: a tiny static ELF, generated here, that every application
 * address space starts from. It contains one page of code at STUB_BASE:
 * a `syscall; int3` site through which the Sentry injects the host
 * syscalls it chooses, and an entry point that just sleeps in pause()
 * until the Sentry attaches. Everything else in the stub's address space
 * (its stack, the host vDSO and vvar) is unmapped by the Sentry, so the
 * application never sees a host mapping it did not get from the Sentry.
 */

/** Lowest address of the stub page; application memory lies below it. */
export const STUB_BASE = 0x7ffb_0000_0000;
export const STUB_SIZE = 0x1000;
/** Address of the `syscall` instruction used for injected syscalls. */
export const STUB_SYSCALL_SITE = STUB_BASE + 0x80;
/** rip after the int3 that follows the injected syscall. */
export const STUB_SYSCALL_DONE = STUB_SYSCALL_SITE + 3;
const ENTRY_OFFSET = 0x88;

const SYS_PAUSE = 34;

/** Builds the stub's ELF image. */
export function buildStubElf(): Buffer {
  const img = Buffer.alloc(0x100);
  // ELF header (Elf64_Ehdr).
  img.set([0x7f, 0x45, 0x4c, 0x46, 2 /* ELFCLASS64 */, 1 /* LSB */, 1 /* EV_CURRENT */], 0);
  img.writeUInt16LE(2, 16); // e_type = ET_EXEC
  img.writeUInt16LE(0x3e, 18); // e_machine = EM_X86_64
  img.writeUInt32LE(1, 20); // e_version
  img.writeBigUInt64LE(BigInt(STUB_BASE + ENTRY_OFFSET), 24); // e_entry
  img.writeBigUInt64LE(64n, 32); // e_phoff
  img.writeUInt16LE(64, 52); // e_ehsize
  img.writeUInt16LE(56, 54); // e_phentsize
  img.writeUInt16LE(1, 56); // e_phnum
  // One PT_LOAD, R+X, mapping the whole file at STUB_BASE.
  img.writeUInt32LE(1, 64); // p_type = PT_LOAD
  img.writeUInt32LE(5, 68); // p_flags = PF_R|PF_X
  img.writeBigUInt64LE(0n, 72); // p_offset
  img.writeBigUInt64LE(BigInt(STUB_BASE), 80); // p_vaddr
  img.writeBigUInt64LE(BigInt(STUB_BASE), 88); // p_paddr
  img.writeBigUInt64LE(BigInt(img.length), 96); // p_filesz
  img.writeBigUInt64LE(BigInt(img.length), 104); // p_memsz
  img.writeBigUInt64LE(0x1000n, 112); // p_align
  // Injection site: syscall; int3.
  img.set([0x0f, 0x05, 0xcc], 0x80);
  // Entry: mov eax, SYS_pause; syscall; jmp entry.
  img.set([0xb8, SYS_PAUSE, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7], ENTRY_OFFSET);
  return img;
}
