import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { AT } from '../abi/linux/auxv';
import { PT_LOAD } from '../abi/linux/elf';
import { O, S_IFDIR, S_IFREG } from '../abi/linux/fs';
import { MMAP_MIN_ADDR, PROT } from '../abi/linux/mm';
import { REG } from '../abi/linux/ptrace';
import { fail, isLinuxError } from '../errors/linuxerr';
import { Credentials } from '../kernel/creds';
import { BRK_RND_MAX, MMAP_RND_MAX, STACK_RND_MAX } from '../mm/layout';
import { MemoryManager } from '../mm/mm';
import { FakeMemory, MemFile } from '../mm/testing';
import { Registers } from '../platform/platform';
import { parseElf } from './elf';
import { HOST_CPU_AUX, parseAuxv } from './hostaux';
import { checkArgLimits, commitExec, ExecEnv, prepareExec } from './image';
import { parseShebang } from './script';
import { writeInitialStack } from './stack';
import { commFor } from './exec';

const TASK = 0x7ffb_0000_0000;
type Name = Parameters<typeof isLinuxError>[1];

function errno(name: Name, fn: () => unknown, why = ""): void {
  assert.throws(fn, (e: unknown) => isLinuxError(e, name), `expected ${name} ${why}`);
}

function hostFile(path: string, mode = S_IFREG | 0o755): MemFile {
  return new MemFile(path, readFileSync(path), O.RDONLY, mode);
}

function head(f: MemFile): Buffer {
  const b = Buffer.alloc(256);
  f.data.copy(b, 0, 0, 256);
  return b;
}

/** A minimal x86_64 ELF: header, then `phdrs` program headers at offset 64, then padding. */
function makeElf(opts: { type?: number; machine?: number; phnum?: number; phentsize?: number; phoff?: bigint; size?: number; entry?: bigint } = {}, phdrs: Array<Partial<Record<'type' | 'flags' | 'offset' | 'vaddr' | 'filesz' | 'memsz' | 'align', bigint | number>>> = []): Buffer {
  const b = Buffer.alloc(opts.size ?? 0x2000);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  b.writeUInt16LE(opts.type ?? 2, 16);
  b.writeUInt16LE(opts.machine ?? 62, 18);
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(opts.entry ?? 0x401000n, 24);
  b.writeBigUInt64LE(opts.phoff ?? 64n, 32);
  b.writeUInt16LE(64, 52);
  b.writeUInt16LE(opts.phentsize ?? 56, 54);
  b.writeUInt16LE(opts.phnum ?? phdrs.length, 56);
  phdrs.forEach((p, i) => {
    const o = 64 + i * 56;
    if (o + 56 > b.length) return;
    b.writeUInt32LE(Number(p.type ?? PT_LOAD), o);
    b.writeUInt32LE(Number(p.flags ?? 5), o + 4);
    b.writeBigUInt64LE(BigInt(p.offset ?? 0), o + 8);
    b.writeBigUInt64LE(BigInt(p.vaddr ?? 0x400000), o + 16);
    b.writeBigUInt64LE(BigInt(p.vaddr ?? 0x400000), o + 24);
    b.writeBigUInt64LE(BigInt(p.filesz ?? 0x1000), o + 32);
    b.writeBigUInt64LE(BigInt(p.memsz ?? p.filesz ?? 0x1000), o + 40);
    b.writeBigUInt64LE(BigInt(p.align ?? 0x1000), o + 48);
  });
  return b;
}

function env(files: Record<string, MemFile>, creds = new Credentials(), randomize = false): ExecEnv {
  return {
    open: (p) => files[p] ?? fail('ENOENT', p),
    creds,
    stackRlimit: 8n << 20n,
    taskSize: TASK,
    randomize,
  };
}

function prepareBytes(data: Buffer, files: Record<string, MemFile> = {}): ReturnType<typeof prepareExec> {
  return prepareExec(env(files), new MemFile('/x', data), '/x', ['x'], []);
}

/** Runs prepare+commit into a fake address space. */
function load(main: MemFile, files: Record<string, MemFile>, argv: string[], envp: string[], creds = new Credentials(1000, 1000), randomize = false) {
  const mem = new FakeMemory();
  const plan = prepareExec(env(files, creds, randomize), main, main.path, argv, envp);
  const mm = new MemoryManager(mem, mem, TASK, 8n << 20n, plan.randomization);
  const regs = new Registers();
  regs.set(REG.cs, 0x33n);
  regs.set(REG.ss, 0x2bn);
  regs.set(REG.rdx, 77n);
  const random = Buffer.from('0123456789abcdef');
  const res = commitExec(plan, mm, creds, regs, random);
  return { mem, mm, plan, regs, res };
}

/** Decodes the initial stack at sp: argc, argv, envp, auxv. */
function decodeStack(mem: FakeMemory, sp: number) {
  const word = (a: number): number => Number(mem.read(a, 8).readBigUInt64LE());
  const str = (a: number): string => {
    let e = a;
    while (mem.read(e, 1)[0] !== 0) e++;
    return mem.read(a, e - a).toString();
  };
  const argc = word(sp);
  let p = sp + 8;
  const argv: string[] = [];
  for (let i = 0; i < argc; i++, p += 8) argv.push(str(word(p)));
  assert.equal(word(p), 0);
  p += 8;
  const envp: string[] = [];
  for (; word(p) !== 0; p += 8) envp.push(str(word(p)));
  p += 8;
  const auxv: Array<[number, number]> = [];
  for (;;) {
    const k = word(p);
    auxv.push([k, word(p + 8)]);
    p += 16;
    if (k === 0) break;
  }
  return { argv, envp, auxv, str };
}

describe('ELF parsing', () => {
  it('parses real binaries from this machine', () => {
    const t = hostFile('/bin/true');
    const e = parseElf(t, head(t));
    assert.equal(e.type, 3);
    assert.equal(e.interp, '/lib64/ld-linux-x86-64.so.2');
    assert.ok(e.loads.length >= 2);
    assert.equal(e.phdrVaddr, 64);
    assert.equal(e.execStack, false);
    const ld = hostFile(realpathSync('/lib64/ld-linux-x86-64.so.2'));
    const le = parseElf(ld, head(ld));
    assert.equal(le.type, 3);
    assert.equal(le.interp, undefined);
    const py = hostFile('/usr/bin/python3.11');
    assert.equal(parseElf(py, head(py)).interp, '/lib64/ld-linux-x86-64.so.2');
  });

  it('rejects hostile headers with ENOEXEC', () => {
    errno('ENOEXEC', () => prepareBytes(Buffer.from('\x7fELF')));
    errno('ENOEXEC', () => prepareBytes(Buffer.from('hello world')));
    errno('ENOEXEC', () => prepareBytes(makeElf({ type: 1 }, [{}])));
    errno('ENOEXEC', () => prepareBytes(makeElf({ machine: 3 }, [{}])));
    errno('ENOEXEC', () => prepareBytes(makeElf({ phnum: 0 })));
    errno('ENOEXEC', () => prepareBytes(makeElf({ phnum: 74 }, [{}])));
    errno('ENOEXEC', () => prepareBytes(makeElf({ phnum: 0xffff }, [{}])));
    errno('ENOEXEC', () => prepareBytes(makeElf({ phentsize: 32 }, [{}])));
    errno('ENOEXEC', () => prepareBytes(makeElf({ phoff: 0xffff_ffff_ffff_0000n }, [{}])));
    errno('ENOEXEC', () => prepareBytes(makeElf({ size: 100 }, [{}])));
    errno('ENOEXEC', () => prepareBytes(makeElf({}, [{ type: 3, offset: 0x200, filesz: 1 }])));
    errno('ENOEXEC', () => prepareBytes(makeElf({}, [{ type: 3, offset: 0x200, filesz: 5000 }])));
    const unterminated = makeElf({}, [{ type: 3, offset: 0x200, filesz: 4 }]);
    unterminated.write('abcd', 0x200);
    errno('ENOEXEC', () => prepareBytes(unterminated), 'interp not NUL terminated');
    errno('EIO', () => prepareBytes(makeElf({}, [{ type: 3, offset: 0x1ff0, filesz: 0x100 }])));
  });

  it('rejects bad segment layouts before the point of no return', () => {
    errno('EINVAL', () => prepareBytes(makeElf({}, [{ filesz: 0x2000, memsz: 0x1000 }])));
    errno('EINVAL', () => prepareBytes(makeElf({}, [{ memsz: 0x7fff_ffff_ffffn }])));
    errno('EINVAL', () => prepareBytes(makeElf({}, [{ memsz: 0xffff_ffff_ffff_f000n }])));
    errno('EINVAL', () => prepareBytes(makeElf({}, [{ offset: 0x10 }])));
    errno('EINVAL', () => prepareBytes(makeElf({}, [{ type: 6 }])), 'no PT_LOAD');
    errno('EPERM', () => prepareBytes(makeElf({}, [{ vaddr: 0 }])));
    errno('EPERM', () => prepareBytes(makeElf({}, [{ vaddr: MMAP_MIN_ADDR - 0x1000 }])));
    errno('ENOMEM', () => prepareBytes(makeElf({}, [{ vaddr: 0x7fff_0000_0000 }])));
    errno('ENOMEM', () => prepareBytes(makeElf({}, [{ vaddr: 0x600000 }, { vaddr: 0x400000 }])), 'unsorted');
    errno('ENOENT', () => prepareBytes(makeElf({}, [{ type: 3, offset: 0x200, filesz: 5 }, {}])));
    const ok = makeElf({}, [{}]);
    const plan = prepareBytes(ok);
    assert.equal(plan.mainBias, 0);
  });
});

describe('#! scripts', () => {
  it('parses the interpreter line like binfmt_script', () => {
    const h = (s: string): Buffer => {
      const b = Buffer.alloc(256);
      b.write(s);
      return b;
    };
    assert.deepEqual(parseShebang(h('#!/bin/sh\necho')), { interp: '/bin/sh' });
    assert.deepEqual(parseShebang(h('#! \t/usr/bin/env  python3 -u  \nx')), { interp: '/usr/bin/env', arg: 'python3 -u' });
    assert.deepEqual(parseShebang(h('#!/bin/sh')), { interp: '/bin/sh' });
    assert.deepEqual(parseShebang(h('#!/bin/sh \t\n')), { interp: '/bin/sh' });
    errno('ENOEXEC', () => parseShebang(h('#!\n')));
    errno('ENOEXEC', () => parseShebang(h('#!   \n')));
    errno('ENOEXEC', () => parseShebang(Buffer.from(`#!/${'a'.repeat(254)}`)));
  });

  it('rewrites argv, follows nested scripts and stops at ELOOP', () => {
    const elf = makeElf({}, [{}]);
    const files: Record<string, MemFile> = {
      '/bin/interp': new MemFile('/bin/interp', elf),
      '/s2': new MemFile('/s2', Buffer.from('#!/bin/interp -x\n')),
    };
    const plan = prepareExec(env(files), new MemFile('/s1', Buffer.from('#!/s2 a b\n')), './s1', ['s1', 'arg1'], ['E=1']);
    assert.deepEqual(plan.argv, ['/bin/interp', '-x', '/s2', 'a b', './s1', 'arg1']);
    assert.equal(plan.main.file.path, '/bin/interp');
    assert.equal(plan.opened.length, 3);
    const loop: Record<string, MemFile> = { '/loop': new MemFile('/loop', Buffer.from('#!/loop\n')) };
    errno('ELOOP', () => prepareExec(env(loop), new MemFile('/loop', Buffer.from('#!/loop\n')), '/loop', ['l'], []));
    errno('ENOEXEC', () => prepareExec(env({ '/data': new MemFile('/data', Buffer.from('plain')) }), new MemFile('/s', Buffer.from('#!/data\n')), '/s', [], []));
  });
});

describe('exec permissions and limits', () => {
  it('needs a regular file with an execute bit for the caller', () => {
    const elf = makeElf({}, [{}]);
    const run = (mode: number, creds: Credentials, owner = { uid: 0, gid: 0 }): unknown =>
      prepareExec(env({}, creds), new MemFile('/x', elf, O.RDONLY, mode, owner), '/x', ['x'], []);
    errno('EACCES', () => run(S_IFDIR | 0o755, new Credentials()));
    errno('EACCES', () => run(S_IFREG | 0o644, new Credentials()));
    run(S_IFREG | 0o100, new Credentials());
    errno('EACCES', () => run(S_IFREG | 0o100, new Credentials(1000, 1000)));
    run(S_IFREG | 0o100, new Credentials(1000, 1000), { uid: 1000, gid: 0 });
    errno('EACCES', () => run(S_IFREG | 0o011, new Credentials(1000, 1000), { uid: 1000, gid: 0 }));
    run(S_IFREG | 0o010, new Credentials(1000, 1000, 1000, 1000, 1000, 1000, [50]), { uid: 0, gid: 50 });
    run(S_IFREG | 0o001, new Credentials(1000, 1000));
  });

  it('applies MAX_ARG_STRLEN and the RLIMIT_STACK/4 argument budget', () => {
    checkArgLimits(['a'.repeat(32 * 4096 - 1)], [], '/x', 8n << 20n);
    errno('E2BIG', () => checkArgLimits(['a'.repeat(32 * 4096)], [], '/x', 8n << 20n));
    const many = Array.from({ length: 20 }, () => 'e'.repeat(100000));
    checkArgLimits(many, [], '/x', 8n << 20n);
    errno('E2BIG', () => checkArgLimits(many, [], '/x', 4n << 20n));
    errno('E2BIG', () => checkArgLimits(['x'], Array.from({ length: 30000 }, () => ''), '/x', 1n << 20n));
    checkArgLimits(many.slice(0, 1), [], '/x', 0n);
    checkArgLimits(['x'], Array.from({ length: 16000 }, () => ''), '/x', 1n << 20n);
    assert.equal(commFor('/usr/bin/a-very-long-command-name'), 'a-very-long-com');
  });
});

describe('image loading (fake address space)', () => {
  it('loads a static non-PIE binary with bss zeroing, heap start and an aligned stack', () => {
    const data = makeElf({ entry: 0x401000n }, [
      { flags: 5, offset: 0, vaddr: 0x400000, filesz: 0x1800 },
      { flags: 6, offset: 0x1800, vaddr: 0x402800, filesz: 0x400, memsz: 0x3000 },
    ]);
    data.fill(0xaa, 0x1800, 0x2000);
    const { mem, mm, regs, res } = load(new MemFile('/bin/static', data), {}, ['static', 'a'], ['K=V']);
    assert.equal(res.entry, 0x401000);
    assert.equal(Number(regs.get(REG.rip)), 0x401000);
    assert.equal(Number(regs.get(REG.rsp)) % 16, 0);
    assert.equal(regs.get(REG.rdx), 0n);
    assert.equal(regs.get(REG.cs), 0x33n);
    assert.equal(regs.get(REG.eflags), 0x202n);
    assert.deepEqual(mem.read(0x402800, 0x400), Buffer.alloc(0x400, 0xaa));
    assert.deepEqual(mem.read(0x402c00, 0x400), Buffer.alloc(0x400), 'partial page after p_filesz is zero');
    assert.equal(mem.read(0x401ff0, 16).toString('hex'), data.subarray(0x1ff0, 0x2000).toString('hex'), 'text page keeps file bytes past filesz');
    assert.equal(mem.protAt(0x400000), PROT.READ | PROT.EXEC);
    assert.equal(mem.protAt(0x405000), PROT.READ | PROT.WRITE);
    assert.equal(mm.startBrk, 0x406000);
    assert.equal(
      mm.procMaps(),
      '00400000-00402000 r-xp 00000000 fe:01 4242                               /bin/static\n' +
        '00402000-00403000 rw-p 00001000 fe:01 4242                               /bin/static\n' +
        '00403000-00406000 rw-p 00000000 00:00 0 \n' +
        '7ffaff800000-7ffb00000000 rw-p 00000000 00:00 0                          [stack]\n',
    );
    const s = decodeStack(mem, res.sp);
    assert.deepEqual(s.argv, ['static', 'a']);
    assert.deepEqual(s.envp, ['K=V']);
    const aux = new Map(s.auxv);
    assert.deepEqual(s.auxv.map(([k]) => k), [51, 16, 6, 17, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 23, 25, 26, 31, 15, 0]);
    assert.equal(aux.get(AT.PHDR), 0x400040);
    assert.equal(aux.get(AT.PHNUM), 2);
    assert.equal(aux.get(AT.BASE), 0);
    assert.equal(aux.get(AT.ENTRY), 0x401000);
    assert.equal(aux.get(AT.UID), 1000);
    assert.equal(aux.get(AT.CLKTCK), 100);
    assert.equal(aux.has(AT.SYSINFO_EHDR), false);
    assert.equal(mem.read(aux.get(AT.RANDOM) as number, 16).toString(), '0123456789abcdef');
    assert.equal(s.str(aux.get(AT.PLATFORM) as number), 'x86_64');
    assert.equal(s.str(aux.get(AT.EXECFN) as number), '/bin/static');
    assert.equal(mm.layout.argStart, mm.stackTop - 8 - '/bin/static\0K=V\0static\0a\0'.length);
    assert.equal(mem.read(mm.layout.argStart, mm.layout.argEnd - mm.layout.argStart).toString(), 'static\0a\0');
    assert.equal(mem.read(mm.layout.envStart, mm.layout.envEnd - mm.layout.envStart).toString(), 'K=V\0');
    assert.deepEqual(mem.read(mm.stackTop - 8, 8), Buffer.alloc(8));
    assert.deepEqual(mm.auxv, s.auxv);
    assert.equal(mm.layout.startCode, 0x400000);
    assert.equal(mm.layout.endCode, 0x401800);
  });

  it('loads a dynamic PIE (/bin/true) at 2/3 of the address space and ld.so below the mmap base', () => {
    const ldPath = '/lib64/ld-linux-x86-64.so.2';
    const ld = new MemFile(ldPath, readFileSync(ldPath));
    const tr = hostFile('/bin/true');
    const { mem, mm, res } = load(tr, { [ldPath]: ld }, ['true'], []);
    const bias = 0x5552_0000_0000;
    const ldElf = parseElf(ld, head(ld));
    const ldSpan = ldElf.loads[ldElf.loads.length - 1].vaddr + ldElf.loads[ldElf.loads.length - 1].memsz;
    assert.equal(res.interpBase, mm.mmapBase - Math.ceil(ldSpan / 4096) * 4096);
    assert.equal(res.entry, res.interpBase + ldElf.entry);
    const aux = new Map(decodeStack(mem, res.sp).auxv);
    assert.equal(aux.get(AT.BASE), res.interpBase);
    assert.equal(aux.get(AT.PHDR), bias + 64);
    assert.equal(aux.get(AT.ENTRY), bias + parseElf(tr, head(tr)).entry);
    assert.deepEqual(mem.read(bias, 4), Buffer.from('\x7fELF', 'latin1'));
    assert.deepEqual(mem.read(res.interpBase, 4), Buffer.from('\x7fELF', 'latin1'));
    const maps = mm.procMaps();
    assert.match(maps, /^555200000000-555200002000 r--p 00000000 fe:01 4242 +\/bin\/true$/m);
    assert.match(maps, / \/lib64\/ld-linux-x86-64\.so\.2$/m);
  });

  it('randomizes each image: stack top, mmap base, PIE load bias and heap start, within Linux\'s ranges', () => {
    const ldPath = '/lib64/ld-linux-x86-64.so.2';
    const files = { [ldPath]: new MemFile(ldPath, readFileSync(ldPath)) };
    const runs = [1, 2].map(() => load(hostFile('/bin/true'), files, ['true'], [], undefined, true));
    for (const { mm, plan, res } of runs) {
      const r = plan.randomization;
      assert.ok(r !== undefined);
      assert.equal(mm.stackTop, TASK - r.stack);
      assert.ok(r.stack < STACK_RND_MAX && r.mmap < MMAP_RND_MAX && r.pie < MMAP_RND_MAX && r.brk < BRK_RND_MAX);
      // The mmap area stays below the lowest stack the randomization could give.
      assert.ok(mm.mmapBase <= TASK - STACK_RND_MAX - mm.stackSize - r.mmap);
      assert.ok(plan.mainBias >= 0x5552_0000_0000 && plan.mainBias < 0x5552_0000_0000 + MMAP_RND_MAX);
      assert.ok(res.interpBase < mm.mmapBase);
      assert.ok(mm.startBrk > plan.mainBias);
    }
    const [a, b] = runs;
    assert.notEqual(a.mm.stackTop, b.mm.stackTop);
    assert.notEqual(a.mm.mmapBase, b.mm.mmapBase);
    assert.notEqual(a.plan.mainBias, b.plan.mainBias);
  });

  it('loads python3.11 and busybox when present', () => {
    const ldPath = '/lib64/ld-linux-x86-64.so.2';
    const py = load(hostFile('/usr/bin/python3.11'), { [ldPath]: new MemFile(ldPath, readFileSync(ldPath)) }, ['python3'], []);
    assert.ok(py.mm.vmas.size >= 6);
    if (existsSync('/bin/busybox')) {
      const bb = load(hostFile('/bin/busybox'), {}, ['busybox'], []);
      assert.equal(bb.res.interpBase, 0);
      const aux = new Map(decodeStack(bb.mem, bb.res.sp).auxv);
      assert.equal(bb.res.entry, aux.get(AT.ENTRY));
    }
  });

  it('stack layout matches Linux for many strings', () => {
    const mem = new FakeMemory();
    mem.mapAnonymous(0x7000_0000, 0x10_0000, 3);
    const top = 0x7010_0000;
    const st = writeInitialStack(mem, top, { argv: ['a', 'bb', ''], envp: ['X=1', 'Y=22'], execfn: '/p', random: Buffer.alloc(16, 7), auxv: () => [[AT.PAGESZ, 4096]] });
    assert.equal(st.sp % 16, 0);
    const s = decodeStack(mem, st.sp);
    assert.deepEqual(s.argv, ['a', 'bb', '']);
    assert.deepEqual(s.envp, ['X=1', 'Y=22']);
    assert.deepEqual(s.auxv, [[6, 4096], [0, 0]]);
    assert.equal(mem.read(st.argStart, top - st.argStart).toString(), 'a\0bb\0\0X=1\0Y=22\0/p\0\0\0\0\0\0\0\0\0');
  });

  it('reads the host auxv for CPU values', () => {
    const aux = parseAuxv(readFileSync('/proc/self/auxv'));
    assert.equal(HOST_CPU_AUX.hwcap, Number(aux.get(AT.HWCAP)));
    assert.equal(HOST_CPU_AUX.minSigStkSz, Number(aux.get(AT.MINSIGSTKSZ) ?? BigInt(HOST_CPU_AUX.minSigStkSz)));
  });
});
