import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { PtracePlatform, PtraceContext } from './ptrace';
import { STUB_BASE } from './stub';
import { REG } from '../../abi/linux/ptrace';
import { SIG } from '../../abi/linux/signal';
import { LinuxError } from '../../errors/linuxerr';

const CODE = 0x400000;
const PROT_RWX = 7;

/** For each nr: mov edi, eax (the previous result); mov eax, nr; syscall. Then an infinite loop. */
function program(...nrs: number[]): Buffer {
  const parts = nrs.map((nr) => Buffer.from([0x89, 0xc7, 0xb8, nr & 0xff, nr >> 8, 0, 0, 0x0f, 0x05]));
  return Buffer.concat([...parts, Buffer.from([0xeb, 0xfe])]);
}

describe('ptrace platform', function () {
  let platform: PtracePlatform;
  let ctx: PtraceContext | undefined;
  before(() => (platform = new PtracePlatform()));
  afterEach(() => ctx?.kill());

  it('starts a stub whose only host mapping is the stub page (no stack, vDSO or vvar)', () => {
    ctx = platform.newContext();
    const maps = readFileSync(`/proc/${ctx.hostPid}/maps`, 'utf8').trim().split('\n');
    const mapped = maps.filter((l) => !l.includes('[vsyscall]'));
    assert.equal(mapped.length, 1);
    assert.ok(mapped[0].startsWith(`${STUB_BASE.toString(16)}-`));
    assert.equal(readFileSync(`/proc/${ctx.hostPid}/status`, 'utf8').match(/^NoNewPrivs:\s+(\d)/m)?.[1], '1');
    const status = readFileSync(`/proc/${ctx.hostPid}/status`, 'utf8');
    assert.equal(status.match(/^CapEff:\s+(\w+)/m)?.[1], '0000000000000000');
    assert.equal(status.match(/^CapPrm:\s+(\w+)/m)?.[1], '0000000000000000');
    assert.equal(status.match(/^Seccomp:\s+(\d)/m)?.[1], '2');
    assert.equal(readFileSync(`/proc/${ctx.hostPid}/comm`, 'utf8'), 'tsvisor-stub\n');
  });

  it('stops at every app syscall without executing it (SYSEMU) and returns the emulated value', () => {
    ctx = platform.newContext();
    ctx.mapAnonymous(CODE, 0x1000, PROT_RWX);
    // getpid, then exit(0): if either ran on the host, the stub would report its host pid or exit.
    ctx.write(CODE, program(39, 60));
    ctx.regs.set(REG.rip, BigInt(CODE));
    assert.deepEqual(ctx.switchTo(), { kind: 'syscall' });
    assert.equal(ctx.regs.get(REG.orig_rax), 39n);
    ctx.regs.set(REG.rax, 4242n);
    assert.deepEqual(ctx.switchTo(), { kind: 'syscall' });
    assert.equal(ctx.regs.get(REG.orig_rax), 60n);
    assert.equal(ctx.regs.get(REG.rdi), 4242n, 'the app saw the emulated getpid result');
    assert.ok(existsSync(`/proc/${ctx.hostPid}`), 'exit was emulated, not executed');
  });

  it('reports a fault as a signal stop with the faulting address', () => {
    ctx = platform.newContext();
    ctx.mapAnonymous(CODE, 0x1000, PROT_RWX);
    ctx.write(CODE, Buffer.from([0x48, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0])); // mov rax, [0x10]
    ctx.regs.set(REG.rip, BigInt(CODE));
    const ev = ctx.switchTo();
    assert.equal(ev.kind, 'signal');
    assert.ok(ev.kind === 'signal' && ev.signo === SIG.SIGSEGV && ev.siginfo.readBigUInt64LE(16) === 0x10n);
  });

  it('writeParts puts the parts one after another, across pages and beyond UIO_MAXIOV parts; a fault is EFAULT', () => {
    ctx = platform.newContext();
    ctx.mapAnonymous(CODE, 0x4000, PROT_RWX);
    const parts = Array.from({ length: 1500 }, (_, i) => Buffer.alloc(i % 7, i & 0xff));
    ctx.writeParts(CODE + 10, parts);
    const want = Buffer.concat(parts);
    assert.ok(want.length > 0x1000);
    assert.ok(ctx.read(CODE + 10, want.length).equals(want));
    assert.throws(() => ctx!.writeParts(CODE + 0x3ff0, [Buffer.alloc(8), Buffer.alloc(16)]), LinuxError);
  });

  it('memory outside mappings is EFAULT; kill reaps the stub', () => {
    ctx = platform.newContext();
    assert.throws(() => ctx!.read(CODE, 8), LinuxError);
    const pid = ctx.hostPid;
    ctx.kill();
    assert.equal(existsSync(`/proc/${pid}`), false);
  });
});

describe('ptrace platform: many stubs', function () {
  let platform: PtracePlatform;
  const live: PtraceContext[] = [];
  before(() => (platform = new PtracePlatform()));
  afterEach(() => live.splice(0).forEach((c) => c.kill()));

  it('fork() copies the address space into a new stub; writes stay private to each side', () => {
    const parent = platform.newContext();
    live.push(parent);
    parent.mapAnonymous(CODE, 0x1000, PROT_RWX);
    parent.write(CODE, Buffer.from('parent'));
    const child = parent.fork();
    live.push(child);
    assert.notEqual(child.hostPid, parent.hostPid);
    assert.equal(child.read(CODE, 6).toString(), 'parent');
    child.write(CODE, Buffer.from('child!'));
    assert.equal(parent.read(CODE, 6).toString(), 'parent');
    assert.equal(readFileSync(`/proc/${child.hostPid}/status`, 'utf8').match(/^PPid:\s+(\d+)/m)?.[1], String(process.pid));
  });

  it('newThread() shares memory, and waitAny() routes each stop to its context', () => {
    const main = platform.newContext();
    live.push(main);
    main.mapAnonymous(CODE, 0x1000, PROT_RWX);
    main.write(CODE, program(39));
    const thread = main.newThread();
    live.push(thread);
    assert.equal(thread.read(CODE, 2).toString('hex'), '89c7');
    for (const c of [main, thread]) {
      c.regs.set(REG.rip, BigInt(CODE));
      c.resume();
    }
    const seen = new Set<number>();
    while (seen.size < 2) {
      const stop = platform.waitAny();
      if (stop) {
        assert.equal(stop.event.kind, 'syscall');
        seen.add(stop.ctx.hostPid);
      }
    }
    assert.deepEqual([...seen].sort(), [main.hostPid, thread.hostPid].sort());
    thread.exitThread();
    live.splice(live.indexOf(thread), 1);
    assert.equal(main.read(CODE, 2).toString('hex'), '89c7', 'the address space outlives the thread');
  });

  it('waitAny(false, ctx) reports just that context at once; nothing once reported, or once its thread is reaped', () => {
    const ctx = platform.newContext();
    live.push(ctx);
    ctx.mapAnonymous(CODE, 0x1000, PROT_RWX);
    ctx.write(CODE, program(39));
    ctx.regs.set(REG.rip, BigInt(CODE));
    ctx.resume();
    let stop = platform.waitAny(false, ctx);
    for (const deadline = Date.now() + 5000; !stop && Date.now() < deadline; ) stop = platform.waitAny(false, ctx);
    assert.equal(stop?.ctx, ctx);
    assert.equal(stop.event.kind, 'syscall');
    assert.equal(platform.waitAny(false, ctx), undefined, 'its stop was taken');
    ctx.kill();
    assert.equal(platform.waitAny(false, ctx), undefined, 'reaped: ECHILD is no stop, not an error');
  });

  it('residentBytes counts the pages the app touched, across mincore chunks, and leaves no scratch mapping', () => {
    const ctx = platform.newContext();
    live.push(ctx);
    const PAGE = 0x1000;
    const base = 0x10000000;
    const len = 300 << 20; // more than one 256 MiB mincore chunk
    ctx.mapAnonymous(base, len, 3);
    const area = [{ start: base, end: base + len }];
    assert.equal(ctx.residentBytes(area), 0, 'mapped but untouched');
    const touched = [0, 1, 77, (256 << 20) / PAGE, len / PAGE - 1];
    for (const page of touched) ctx.write(base + page * PAGE, Buffer.from([1]));
    assert.equal(ctx.residentBytes(area), touched.length * PAGE);
    assert.equal(ctx.residentBytes([{ start: base + PAGE, end: base + 2 * PAGE }]), PAGE);
    assert.equal(ctx.residentBytes([{ start: base + len, end: base + len + PAGE }]), 0, 'an unmapped area counts as nothing');
    const maps = readFileSync(`/proc/${ctx.hostPid}/maps`, 'utf8').trim().split('\n').filter((l) => !l.includes('[vsyscall]'));
    assert.equal(maps.length, 2, maps.join('\n'));
  });
});
