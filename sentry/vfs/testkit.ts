/**
 * Test fakes for the vfs and file syscalls: a Buffer-backed MemoryIO, an
 * in-memory GoferClient, and a Task wired to a Kernel without ptrace.
 */
import { REG, SYSCALL_ARG_REGS } from '../abi/linux/ptrace';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../abi/linux/fs';
import { fail, LinuxError } from '../errors/linuxerr';
import type { SyscallName } from '../abi/linux/syscalls';
import type { FamilyRows } from '../syscalls/rows';
import type { GoferClient, P9Attr, P9Dirent, P9SetAttr, P9StatFs, Qid } from '../fsimpl/gofer/api';
import { Credentials } from '../kernel/creds';
import { Kernel, type KernelOptions } from '../kernel/kernel';
import { defaultLimits } from '../kernel/limits';
import { Process, Task } from '../kernel/task';
import { Block } from '../kernel/wait';
import { MemoryManager } from '../mm/mm';
import { AddressSpace, MemoryIO, Registers, writeEach } from '../platform/platform';
import { FakeContext, FakePlatform, mapTestMemory } from '../testing/fakes';
import { SyscallArgs } from '../syscalls/args';
import { FdTable } from './fdtable';
import { FsContext } from './fscontext';
import { Vfs } from './vfs';

/** App memory [base, base+size); anything else faults. */
export class FakeMemory implements MemoryIO {
  readonly buf: Buffer;
  private next: number;

  constructor(
    readonly base = 0x10000,
    size = 4 << 20,
  ) {
    this.buf = Buffer.alloc(size);
    this.next = base;
  }

  private off(addr: number, len: number): number {
    if (addr < this.base || addr + len > this.base + this.buf.length) fail('EFAULT', `0x${addr.toString(16)}`);
    return addr - this.base;
  }

  read(addr: number, len: number): Buffer {
    const o = this.off(addr, len);
    return Buffer.from(this.buf.subarray(o, o + len));
  }

  readInto(addr: number, dst: Uint8Array): void {
    dst.set(this.read(addr, dst.length));
  }

  write(addr: number, src: Uint8Array): void {
    this.buf.set(src, this.off(addr, src.length));
  }

  writeParts(addr: number, parts: readonly Uint8Array[]): void {
    writeEach(this, addr, parts);
  }

  /** Bump-allocates `len` bytes (optionally filled with `data`). */
  alloc(len: number, data?: Uint8Array): number {
    const addr = this.next;
    this.next += (len + 15) & ~15;
    if (data) this.write(addr, data);
    return addr;
  }

  /** A NUL-terminated copy of `s`. */
  str(s: string): number {
    return this.alloc(Buffer.byteLength(s) + 1, Buffer.from(`${s}\0`));
  }
}

const noAs: AddressSpace = { mapAnonymous() {}, unmap() {}, protect() {}, remap() {} };

/** A Kernel and one task (pid 1) over the Vfs `makeVfs` builds, with fake memory. */
export function makeTask(
  makeVfs: (k: Kernel) => Vfs,
  creds = new Credentials(),
  opts: Partial<KernelOptions> = {},
): { kernel: Kernel; task: Task; mem: FakeMemory } {
  const mem = new FakeMemory();
  const kernel = new Kernel(new FakePlatform(), makeVfs, { hostname: 'sandbox', ...opts });
  const pid = kernel.allocTid(); // 1, and later tasks (a fork's) get the next ids
  const proc = new Process(kernel, pid, 0, new MemoryManager(noAs, mem, 0x7ffffffff000), new FdTable(), new FsContext(), creds, defaultLimits());
  mapTestMemory(proc.mm);
  proc.argv = ['/bin/app', 'x'];
  proc.envp = ['A=1'];
  proc.exe = '/bin/app';
  proc.comm = 'app';
  kernel.processes.set(pid, proc);
  const ctx = new FakeContext(undefined, mem, noAs);
  const task = new Task(kernel, pid, proc, ctx);
  kernel.tasks.set(pid, task);
  return { kernel, task, mem };
}

/** Syscall arguments as the handler would see them. */
export function args(...values: (number | bigint)[]): SyscallArgs {
  const regs = new Registers();
  values.forEach((v, i) => regs.set(SYSCALL_ARG_REGS[i], BigInt(v)));
  regs.set(REG.orig_rax, 0n);
  return new SyscallArgs(regs);
}

interface FakeNode {
  qid: Qid;
  mode: number;
  uid: number;
  gid: number;
  data: Buffer;
  target: string;
  children: Map<string, FakeNode>;
  mtime: number;
}

/** An in-memory 9P server tree; counts mutating calls so tests can check the host is untouched. */
export class FakeGofer implements GoferClient {
  private nextPath = 100n;
  private nextFid = 1;
  private readonly fids = new Map<number, FakeNode>();
  readonly root: FakeNode;
  mutations = 0;

  constructor() {
    this.root = this.node(S_IFDIR | 0o755);
  }

  private node(mode: number): FakeNode {
    const type = (mode & S_IFMT) === S_IFDIR ? 0x80 : (mode & S_IFMT) === S_IFLNK ? 2 : 0;
    return { qid: { type, version: 0, path: this.nextPath++ }, mode, uid: 0, gid: 0, data: Buffer.alloc(0), target: '', children: new Map(), mtime: 1000 };
  }

  /** Test setup: creates `path` (parents must exist). */
  add(path: string, kind: 'dir' | 'file' | 'link', content = '', mode?: number): void {
    const parts = path.split('/').filter((p) => p);
    const name = parts.pop() as string;
    let dir = this.root;
    for (const p of parts) dir = dir.children.get(p) ?? fail('ENOENT', p);
    const n = this.node(kind === 'dir' ? S_IFDIR | (mode ?? 0o755) : kind === 'link' ? S_IFLNK | 0o777 : S_IFREG | (mode ?? 0o644));
    if (kind === 'file') n.data = Buffer.from(content);
    if (kind === 'link') n.target = content;
    dir.children.set(name, n);
  }

  /** Test inspection: the node at `path`, if any. */
  get(path: string): FakeNode | undefined {
    let n: FakeNode | undefined = this.root;
    for (const p of path.split('/').filter((x) => x)) n = n?.children.get(p);
    return n;
  }

  private fid(fid: number): FakeNode {
    return this.fids.get(fid) ?? fail('EBADF', `fid ${fid}`);
  }

  private newFid(n: FakeNode): number {
    const fid = this.nextFid++;
    this.fids.set(fid, n);
    return fid;
  }

  attach(): number {
    return this.newFid(this.root);
  }

  walk(fid: number, names: string[]): { fid: number; qids: Qid[] } {
    let n = this.fid(fid);
    const qids: Qid[] = [];
    for (const name of names) {
      n = n.children.get(name) ?? fail('ENOENT', name);
      qids.push(n.qid);
    }
    return { fid: this.newFid(n), qids };
  }

  getattr(fid: number): P9Attr {
    const n = this.fid(fid);
    const size = (n.mode & S_IFMT) === S_IFLNK ? n.target.length : n.data.length;
    return {
      qid: n.qid, mode: n.mode, uid: n.uid, gid: n.gid, nlink: 1, rdev: 0, size, blksize: 4096,
      blocks: Math.ceil(size / 512), atimeSec: n.mtime, atimeNsec: 0, mtimeSec: n.mtime, mtimeNsec: 0, ctimeSec: n.mtime, ctimeNsec: 0,
    };
  }

  setattr(fid: number, attr: P9SetAttr): void {
    this.mutations++;
    const n = this.fid(fid);
    if (attr.mode !== undefined) n.mode = (n.mode & S_IFMT) | attr.mode;
    if (attr.size !== undefined) n.data = Buffer.concat([n.data, Buffer.alloc(Math.max(0, attr.size - n.data.length))]).subarray(0, attr.size);
  }

  lopen(fid: number): { qid: Qid; iounit: number } {
    return { qid: this.fid(fid).qid, iounit: 0 };
  }

  lcreate(fid: number, name: string, flags: number, mode: number): { qid: Qid; iounit: number } {
    this.mutations++;
    const dir = this.fid(fid);
    if (dir.children.has(name)) fail('EEXIST', name);
    const n = this.node(S_IFREG | mode);
    dir.children.set(name, n);
    this.fids.set(fid, n);
    return { qid: n.qid, iounit: 0 };
  }

  read(fid: number, offset: number, count: number): Buffer {
    return Buffer.from(this.fid(fid).data.subarray(offset, offset + count));
  }

  write(fid: number, offset: number, data: Buffer): number {
    this.mutations++;
    const n = this.fid(fid);
    const grown = Buffer.alloc(Math.max(n.data.length, offset + data.length));
    n.data.copy(grown);
    data.copy(grown, offset);
    n.data = grown;
    return data.length;
  }

  readdir(fid: number, offset: bigint): P9Dirent[] {
    const entries = [...this.fid(fid).children];
    return entries.slice(Number(offset)).map(([name, c], i) => ({ qid: c.qid, offset: offset + BigInt(i + 1), type: (c.mode & S_IFMT) >>> 12, name }));
  }

  readlink(fid: number): string {
    return this.fid(fid).target;
  }

  mkdir(dfid: number, name: string, mode: number): Qid {
    this.mutations++;
    const n = this.node(S_IFDIR | mode);
    this.fid(dfid).children.set(name, n);
    return n.qid;
  }

  symlink(dfid: number, name: string, target: string): Qid {
    this.mutations++;
    const n = this.node(S_IFLNK | 0o777);
    n.target = target;
    this.fid(dfid).children.set(name, n);
    return n.qid;
  }

  link(dfid: number, fid: number, name: string): void {
    this.mutations++;
    this.fid(dfid).children.set(name, this.fid(fid));
  }

  mknod(): Qid {
    return fail('EPERM');
  }

  unlinkat(dfid: number, name: string): void {
    this.mutations++;
    const dir = this.fid(dfid);
    if (!dir.children.delete(name)) fail('ENOENT', name);
  }

  renameat(oldDfid: number, oldName: string, newDfid: number, newName: string): void {
    this.mutations++;
    const from = this.fid(oldDfid);
    const n = from.children.get(oldName) ?? fail('ENOENT', oldName);
    from.children.delete(oldName);
    this.fid(newDfid).children.set(newName, n);
  }

  fsync(): void {}

  statfs(): P9StatFs {
    return { type: 0x01021997, bsize: 4096, blocks: 100, bfree: 50, bavail: 50, files: 10, ffree: 5, namelen: 255 };
  }

  clunk(fid: number): void {
    this.fids.delete(fid);
  }

  close(): void {}
}

/** Runs the handler `rows[name]` with `values` as its arguments (a completed syscall, as the dispatcher would). */
export function callRow(rows: FamilyRows, t: Task, name: SyscallName, ...values: (number | bigint)[]): number {
  const row = rows[name];
  if (!row) throw new Error(`no row ${name}`);
  const r = Number(row.handler(t, args(...values)));
  t.syscallDone();
  return r;
}

/** The errno `fn` fails with, or 0 if it returns. Anything but a LinuxError is rethrown. */
export function errnoOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof LinuxError) return e.errno;
    throw e;
  }
  return 0;
}

/** The Block `fn` throws (a syscall that must wait); fails the test if it returns or throws anything else. */
export function blockOf(fn: () => unknown): Block {
  try {
    fn();
  } catch (e) {
    if (e instanceof Block) return e;
    throw e;
  }
  throw new Error('did not block');
}
