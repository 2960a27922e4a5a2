import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AT } from '../abi/linux/auxv';
import { S_IFREG } from '../abi/linux/fs';
import { REG } from '../abi/linux/ptrace';
import { SYS } from '../abi/linux/syscalls';
import { fail } from '../errors/linuxerr';
import { Credentials } from '../kernel/creds';
import { MemoryManager } from '../mm/mm';
import { MemFile } from '../mm/testing';
import { PtraceContext, PtracePlatform } from '../platform/ptrace/ptrace';
import { STUB_BASE } from '../platform/ptrace/stub';
import { commitExec, prepareExec } from './image';

describe('loader on the ptrace platform', function () {
  let platform: PtracePlatform;
  let ctx: PtraceContext | undefined;
  before(() => (platform = new PtracePlatform()));
  afterEach(() => ctx?.kill());

  function run(path: string, files: Record<string, string>): { mm: MemoryManager; c: PtraceContext } {
    const c = platform.newContext();
    ctx = c;
    const mm = new MemoryManager(c.as, c.mem, STUB_BASE);
    const serve = (p: string): MemFile => new MemFile(p, readFileSync(files[p] ?? fail('ENOENT', p)), 0, S_IFREG | 0o755);
    const creds = new Credentials();
    const plan = prepareExec({ open: serve, creds, stackRlimit: 8n << 20n, taskSize: STUB_BASE, randomize: false }, serve(path), path, [path], ['HOME=/']);
    commitExec(plan, mm, creds, c.regs);
    return { mm, c };
  }

  it('runs static busybox to its first syscall', () => {
    const { mm, c } = run('/bin/busybox', { '/bin/busybox': '/bin/busybox' });
    const entry = Number(c.regs.get(REG.rip));
    const ev = c.switchTo();
    assert.equal(ev.kind, 'syscall');
    const rip = Number(c.regs.get(REG.rip));
    assert.ok(rip > 0x400000 && rip < mm.startBrk, `rip ${rip.toString(16)} in busybox text (entry ${entry.toString(16)})`);
    const random = new Map(mm.auxv).get(AT.RANDOM) as number;
    assert.equal(c.mem.read(random, 16).length, 16);
  });

  it('runs /bin/true through ld.so to its first syscall (brk)', () => {
    const ld = '/lib64/ld-linux-x86-64.so.2';
    const { mm, c } = run('/bin/true', { '/bin/true': '/bin/true', [ld]: ld });
    const ev = c.switchTo();
    assert.equal(ev.kind, 'syscall');
    assert.equal(Number(c.regs.get(REG.orig_rax)), SYS.brk);
    assert.equal(c.regs.get(REG.rdi), 0n);
    const base = new Map(mm.auxv).get(AT.BASE) as number;
    const rip = Number(c.regs.get(REG.rip));
    assert.ok(rip > base && rip < mm.mmapBase, `rip ${rip.toString(16)} inside ld.so at ${base.toString(16)}`);
  });
});
