/**
 * The machine code of the vDSO (vdso/image.ts), x86_64, position
 * independent. It must sit at CODE_OFFSET in the image, one page after the
 * vvar page: `[rip + VVAR]` below is the vvar page (VVAR = the code's start
 * - CODE_OFFSET - 0x1000). Assembled from this source with GNU as (intel
 * syntax) and kept as bytes, so the Sentry needs no toolchain. The VVAR
 * fields are in vdso/vvar.ts; read_ns is their seqlock reader.
 *
 *   # read_ns: edi = clock id (0 REALTIME, 1 MONOTONIC, 5/6 coarse, 7 BOOTTIME); rax = ns
 *   read_ns:
 *     lea r8, [rip + VVAR]
 *   1:
 *     mov r9, [r8]
 *     test r9b, 1
 *     jnz 3f
 *     lfence
 *     rdtsc
 *     shl rdx, 32
 *     or rax, rdx
 *     sub rax, [r8 + 8]
 *     jae 2f
 *     xor eax, eax
 *   2:
 *     mul qword ptr [r8 + 24]
 *     shrd rax, rdx, 32
 *     add rax, [r8 + 16]
 *     xor ecx, ecx
 *     test edi, edi
 *     je 4f
 *     cmp edi, 5
 *     je 4f
 *     cmp edi, 7
 *     jne 5f
 *     mov rcx, [r8 + 40]
 *     jmp 5f
 *   4:
 *     mov rcx, [r8 + 32]
 *   5:
 *     add rax, rcx
 *     cmp r9, [r8]
 *     jne 1b
 *     ret
 *   3:
 *     pause
 *     jmp 1b
 *   # int clock_gettime(clockid_t, struct timespec *)
 *   clock_gettime:
 *     cmp edi, 7
 *     ja 6f
 *     mov eax, 0xe3
 *     bt eax, edi
 *     jnc 6f
 *     cmp qword ptr [rip + VVAR + 48], 0
 *     je 6f
 *     mov r10, rsi
 *     call read_ns
 *     xor edx, edx
 *     mov ecx, 1000000000
 *     div rcx
 *     mov [r10], rax
 *     mov [r10 + 8], rdx
 *     xor eax, eax
 *     ret
 *   6:
 *     mov eax, 228
 *     syscall
 *     ret
 *   # int gettimeofday(struct timeval *, struct timezone *)
 *   gettimeofday:
 *     cmp qword ptr [rip + VVAR + 48], 0
 *     je 8f
 *     mov r10, rdi
 *     test rdi, rdi
 *     je 7f
 *     xor edi, edi
 *     call read_ns
 *     xor edx, edx
 *     mov ecx, 1000000000
 *     div rcx
 *     mov [r10], rax
 *     mov rax, rdx
 *     xor edx, edx
 *     mov ecx, 1000
 *     div rcx
 *     mov [r10 + 8], rax
 *   7:
 *     test rsi, rsi
 *     je 9f
 *     mov qword ptr [rsi], 0
 *   9:
 *     xor eax, eax
 *     ret
 *   8:
 *     mov eax, 96
 *     syscall
 *     ret
 *   # time_t time(time_t *)
 *   time:
 *     cmp qword ptr [rip + VVAR + 48], 0
 *     je 11f
 *     mov r10, rdi
 *     xor edi, edi
 *     call read_ns
 *     xor edx, edx
 *     mov ecx, 1000000000
 *     div rcx
 *     test r10, r10
 *     je 10f
 *     mov [r10], rax
 *   10:
 *     ret
 *   11:
 *     mov eax, 201
 *     syscall
 *     ret
 *   # int clock_getres(clockid_t, struct timespec *): 1 ns, or a 4 ms tick for the coarse clocks
 *   clock_getres:
 *     cmp edi, 7
 *     ja 12f
 *     mov eax, 0xe3
 *     bt eax, edi
 *     jnc 12f
 *     test rsi, rsi
 *     je 13f
 *     mov qword ptr [rsi], 0
 *     mov eax, 1
 *     mov ecx, 4000000
 *     cmp edi, 5
 *     cmove eax, ecx
 *     cmp edi, 6
 *     cmove eax, ecx
 *     mov [rsi + 8], rax
 *   13:
 *     xor eax, eax
 *     ret
 *   12:
 *     mov eax, 229
 *     syscall
 *     ret
 *   # long getcpu(unsigned *cpu, unsigned *node, void *cache): the sandbox's CPU 0, node 0
 *   getcpu:
 *     test rdi, rdi
 *     je 14f
 *     mov dword ptr [rdi], 0
 *   14:
 *     test rsi, rsi
 *     je 15f
 *     mov dword ptr [rsi], 0
 *   15:
 *     xor eax, eax
 *     ret
 */

/** Offset of the code in the vDSO image; the vvar page starts 0x1000 before the image. */
export const CODE_OFFSET = 0x400;

/** Entry points (offsets into CODE) and sizes, for the dynamic symbol table. */
export const ENTRIES = {
  clock_gettime: { offset: 0x58, size: 0x3d },
  gettimeofday: { offset: 0x95, size: 0x4e },
  time: { offset: 0xe3, size: 0x2f },
  clock_getres: { offset: 0x112, size: 0x40 },
  getcpu: { offset: 0x152, size: 0x19 },
} as const;

export const CODE = Buffer.from(
  [
    '4c8d05f9ebffff4d8b0841f6c10175440faee80f3148c1e2204809d0492b4008',
    '730231c049f76018480facd0204903401031c985ff741083ff05740b83ff0775',
    '0a498b4828eb04498b48204801c84d3b0875b4c3f390ebaf83ff077730b8e300',
    '00000fa3f8732648833dc1ebffff00741c4989f2e887ffffff31d2b900ca9a3b',
    '48f7f14989024989520831c0c3b8e40000000f05c348833d93ebffff00743c49',
    '89fa4885ff742531ffe852ffffff31d2b900ca9a3b48f7f14989024889d031d2',
    'b9e803000048f7f1498942084885f6740748c7060000000031c0c3b860000000',
    '0f05c348833d45ebffff00741d4989fa31ffe809ffffff31d2b900ca9a3b48f7',
    'f14d85d27403498902c3b8c90000000f05c383ff077733b8e30000000fa3f873',
    '294885f6742148c70600000000b801000000b900093d0083ff050f44c183ff06',
    '0f44c14889460831c0c3b8e50000000f05c34885ff7406c707000000004885f6',
    '7406c7060000000031c0c3',
  ].join(''),
  'hex',
);
