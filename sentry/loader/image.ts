/**
 * Building a new process image in two phases, like Linux's execve: prepare
 * (open and parse every file, follow #! and PT_INTERP, check permissions,
 * argument limits and segment layout; nothing visible changes) and commit
 * (map the image into a fresh MemoryManager, write the initial stack and set
 * the entry registers). Only commit touches the address space.
 */
import { AT, CLOCKS_PER_SEC } from '../abi/linux/auxv';
import { CAP } from '../abi/linux/capability';
import { ARG_MAX, BINPRM_BUF_SIZE, MAX_ARG_STRINGS, MAX_ARG_STRLEN, MAX_INTERP_DEPTH, PHDR_SIZE, STK_LIM } from '../abi/linux/elf';
import { S_IFMT, S_IFREG } from '../abi/linux/fs';
import { PAGE_SIZE, PROT, PROT_RWX } from '../abi/linux/mm';
import { REG } from '../abi/linux/ptrace';
import { fail } from '../errors/linuxerr';
import { secureExec } from '../kernel/capabilities';
import { Credentials } from '../kernel/creds';
import { pageUp, randomization, Randomization, stackAndMmapLayout } from '../mm/layout';
import { MemoryManager } from '../mm/mm';
import { randomBytes } from '../platform/host/random';
import { Registers } from '../platform/platform';
import { FileDescription } from '../vfs/file';
import { ElfImage, isElf, parseElf } from './elf';
import { HOST_CPU_AUX } from './hostaux';
import { isScript, parseShebang } from './script';
import { checkSegments, interpBias, loadSegments, mainBias } from './segments';
import { stringBytes, writeInitialStack } from './stack';

export interface ExecEnv {
  /** Opens an interpreter path (ENOENT, ELOOP, search EACCES come from here). */
  open(path: string): FileDescription;
  creds: Credentials;
  /** RLIMIT_STACK soft limit. */
  stackRlimit: bigint;
  /** The address-space limit of the new image (MemoryManager.taskSize). */
  taskSize: number;
  /** Whether the image's layout is randomized (ASLR; off with personality ADDR_NO_RANDOMIZE). */
  randomize: boolean;
}

export interface LoadedFile {
  file: FileDescription;
  elf: ElfImage;
}

export interface ExecPlan {
  main: LoadedFile;
  interp?: LoadedFile;
  mainBias: number;
  /** Final argv (after #! rewriting) and envp. */
  argv: string[];
  envp: string[];
  /** The path given to execve (AT_EXECFN, comm). */
  filename: string;
  /** Every description opened for this exec; released after commit. */
  opened: FileDescription[];
  /** The random offsets of the new image's layout (undefined: not randomized); commit's MemoryManager takes them. */
  randomization?: Randomization;
}

/** Values the kernel uses after commit (registers are already set). */
export interface ExecResult {
  entry: number;
  sp: number;
  interpBase: number;
}

/** EFLAGS at process entry: IF, plus the always-set reserved bit 1. */
const ENTRY_EFLAGS = 0x202n;

/** execve's permission rule: a regular file with an execute bit for the caller (with CAP_DAC_OVERRIDE: any x bit). */
export function checkExecutable(file: FileDescription, creds: Credentials): void {
  const st = file.stat();
  if ((st.mode & S_IFMT) !== S_IFREG) fail('EACCES', `${file.path} is not a regular file`);
  let mask: number;
  if (creds.hasCap(CAP.DAC_OVERRIDE)) mask = 0o111;
  else if (st.uid === creds.euid) mask = 0o100;
  else if (st.gid === creds.egid || creds.groups.includes(st.gid)) mask = 0o010;
  else mask = 0o001;
  if ((st.mode & mask) === 0) fail('EACCES', `${file.path} is not executable`);
}

/** The first BINPRM_BUF_SIZE bytes of a file, zero-padded. */
function readHead(file: FileDescription): Buffer {
  const head = Buffer.alloc(BINPRM_BUF_SIZE);
  for (let done = 0; done < head.length; ) {
    const n = file.pread(head.subarray(done), done);
    if (n <= 0) break;
    done += n;
  }
  return head;
}

/**
 * Linux's argument limits (fs/exec.c: bprm_stack_limits, copy_strings): each
 * string at most MAX_ARG_STRLEN bytes with its NUL; all strings plus the
 * pointer arrays within max(ARG_MAX, min(RLIMIT_STACK/4, 3/4 of _STK_LIM)).
 */
export function checkArgLimits(argv: string[], envp: string[], filename: string, stackRlimit: bigint): void {
  if (argv.length > MAX_ARG_STRINGS || envp.length > MAX_ARG_STRINGS) fail('E2BIG', 'too many arguments');
  for (const s of [...argv, ...envp, filename]) {
    if (Buffer.byteLength(s, 'utf8') + 1 > MAX_ARG_STRLEN) fail('E2BIG', 'argument longer than MAX_ARG_STRLEN');
  }
  const quarter = stackRlimit / 4n > BigInt(STK_LIM) ? STK_LIM : Number(stackRlimit / 4n);
  const limit = Math.max(Math.min((STK_LIM / 4) * 3, quarter), ARG_MAX);
  const pointers = (Math.max(argv.length, 1) + envp.length) * 8;
  if (limit <= pointers || stringBytes(argv, envp, filename) > limit - pointers) fail('E2BIG', 'argument list too long');
}

/**
 * Phase one. Takes ownership of `file` (released on error, or by
 * releasePlan). Follows up to MAX_INTERP_DEPTH #! scripts (ELOOP beyond).
 */
export function prepareExec(env: ExecEnv, file: FileDescription, filename: string, argv: string[], envp: string[]): ExecPlan {
  const opened = [file];
  try {
    let args = argv.length === 0 ? [''] : argv;
    let cur = file;
    let scriptPath = filename;
    let elf: ElfImage | undefined;
    for (let depth = 0; elf === undefined; depth++) {
      if (depth > MAX_INTERP_DEPTH) fail('ELOOP', 'too many #! interpreters');
      checkExecutable(cur, env.creds);
      const head = readHead(cur);
      if (isElf(head)) {
        elf = parseElf(cur, head);
        break;
      }
      if (!isScript(head)) fail('ENOEXEC', `${cur.path}: unknown executable format`);
      const sb = parseShebang(head);
      args = [sb.interp, ...(sb.arg === undefined ? [] : [sb.arg]), scriptPath, ...args.slice(1)];
      scriptPath = sb.interp;
      cur = env.open(sb.interp);
      opened.push(cur);
    }
    checkArgLimits(args, envp, filename, env.stackRlimit);
    const main = { file: cur, elf };
    let interp: LoadedFile | undefined;
    if (elf.interp !== undefined) {
      const f = env.open(elf.interp);
      opened.push(f);
      checkExecutable(f, env.creds);
      const head = readHead(f);
      if (!isElf(head)) fail('ENOEXEC', `interpreter ${elf.interp} is not ELF`);
      interp = { file: f, elf: parseElf(f, head) };
      checkSegments(interp.elf, env.taskSize);
    }
    const randomized = env.randomize ? randomization(randomBytes(16)) : undefined;
    const { stackTop, stackSize, mmapBase } = stackAndMmapLayout(env.taskSize, env.stackRlimit, randomized);
    const bias = mainBias(elf, env.taskSize, mmapBase, randomized?.pie ?? 0);
    checkSegments(elf, stackTop - stackSize, bias);
    return { main, interp, mainBias: bias, argv: args, envp, filename, opened, randomization: randomized };
  } catch (e) {
    for (const f of opened) f.decRef();
    throw e;
  }
}

export function releasePlan(plan: ExecPlan): void {
  for (const f of plan.opened) f.decRef();
}

/**
 * Phase two: maps the stack, the executable, the heap start, the
 * interpreter and the vDSO (when the kernel has one) into `mm` (fresh,
 * empty), writes the initial stack and sets
 * `regs` for entry (all general registers zero, rip at the interpreter or
 * program entry, cs/ss kept).
 */
export function commitExec(
  plan: ExecPlan,
  mm: MemoryManager,
  creds: Credentials,
  regs: Registers,
  random = randomBytes(16),
  vdso?: { map(mm: MemoryManager): number },
): ExecResult {
  const { main, interp } = plan;
  mm.mapArea({
    start: mm.stackTop - mm.stackSize, end: mm.stackTop, prot: PROT.READ | PROT.WRITE | (main.elf.execStack ? PROT.EXEC : 0),
    maxProt: PROT_RWX, shared: false, growsDown: true, backing: { kind: 'stack' },
  });
  const m = loadSegments(mm, main.file, main.elf, plan.mainBias);
  mm.setBrkStart(pageUp(m.brk) + (mm.randomization?.brk ?? 0));
  let entry = m.entry;
  let interpBase = 0;
  if (interp !== undefined) {
    interpBase = interpBias(interp.elf, mm);
    entry = loadSegments(mm, interp.file, interp.elf, interpBase).entry;
  }
  const vdsoBase = vdso?.map(mm);
  const st = writeInitialStack(mm.io, mm.stackTop, {
    argv: plan.argv,
    envp: plan.envp,
    execfn: plan.filename,
    random,
    auxv: (p) => [
      [AT.MINSIGSTKSZ, HOST_CPU_AUX.minSigStkSz],
      [AT.HWCAP, HOST_CPU_AUX.hwcap],
      [AT.PAGESZ, PAGE_SIZE],
      [AT.CLKTCK, CLOCKS_PER_SEC],
      [AT.PHDR, m.phdr],
      [AT.PHENT, PHDR_SIZE],
      [AT.PHNUM, main.elf.phnum],
      [AT.BASE, interpBase],
      [AT.FLAGS, 0],
      [AT.ENTRY, m.entry],
      [AT.UID, creds.uid],
      [AT.EUID, creds.euid],
      [AT.GID, creds.gid],
      [AT.EGID, creds.egid],
      // glibc ignores LD_PRELOAD and friends in a set-id or capability-raising program.
      [AT.SECURE, secureExec(creds, creds.caps) ? 1 : 0],
      [AT.RANDOM, p.random],
      [AT.HWCAP2, HOST_CPU_AUX.hwcap2],
      [AT.EXECFN, p.execfn],
      [AT.PLATFORM, p.platform],
      ...(vdsoBase === undefined ? [] : [[AT.SYSINFO_EHDR, vdsoBase] as [number, number]]),
    ],
  });
  mm.layout = {
    startCode: m.startCode, endCode: m.endCode, startData: m.startData, endData: m.endData,
    startStack: st.sp, argStart: st.argStart, argEnd: st.argEnd, envStart: st.envStart, envEnd: st.envEnd,
  };
  mm.auxv = st.auxv;
  const cs = regs.get(REG.cs);
  const ss = regs.get(REG.ss);
  regs.words.fill(0n);
  regs.set(REG.cs, cs);
  regs.set(REG.ss, ss);
  regs.set(REG.rip, BigInt(entry));
  regs.set(REG.rsp, BigInt(st.sp));
  regs.set(REG.eflags, ENTRY_EFLAGS);
  return { entry, sp: st.sp, interpBase };
}
