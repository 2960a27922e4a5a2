import assert from 'node:assert/strict';
import { CAP } from '../../abi/linux/capability';
import { IPC, IPC_PRIVATE, IPCMNI, SHM } from '../../abi/linux/ipc';
import { MREMAP, PAGE_SIZE } from '../../abi/linux/mm';
import { ErrnoName } from '../../abi/linux/errno';
import { isLinuxError } from '../../errors/linuxerr';
import { FakeMemory } from '../../mm/testing';
import { MemoryManager } from '../../mm/mm';
import type { SharedMemory } from '../../platform/platform';
import { IpcCreds, ipcAllowed, ipcOwnerOrAdmin, IpcPerm } from './ipc';
import { ShmLimits, ShmNamespace } from './shm';

/** Slots by offset; released ones are remembered. */
class FakeShared implements SharedMemory {
  readonly slotSize = 1 << 30;
  readonly live = new Set<number>();
  private next = 0;
  allocSlot(): number {
    const s = this.next++ * this.slotSize;
    this.live.add(s);
    return s;
  }
  releaseSlot(offset: number): void {
    assert.ok(this.live.delete(offset), 'slot released twice');
  }
  read(): void {}
  write(): void {}
}

/** FakeMemory with the platform's shared memory mappings. */
class SharedFake extends FakeMemory {
  mapSharedMemory(addr: number, len: number, prot: number, offset: number): void {
    this.calls.push(`mapshared ${addr.toString(16)} ${len.toString(16)} ${prot} @${offset.toString(16)}`);
    this.mapAnonymous(addr, len, prot, true);
  }
}

function creds(euid: number, egid = euid, caps: number[] = [], groups: number[] = []): IpcCreds {
  return { euid, egid, groups, hasCap: (c) => caps.includes(c) };
}

const ROOT = creds(0, 0, [CAP.IPC_OWNER, CAP.SYS_ADMIN]);

function errno(name: ErrnoName, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => isLinuxError(e, name), `expected ${name}`);
}

function setup(limits: Partial<ShmLimits> = {}): { ns: ShmNamespace; mem: FakeShared } {
  const mem = new FakeShared();
  const ns = new ShmNamespace(() => ({ shmmax: 1n << 40n, shmall: 1n << 40n, shmmni: 4096, ...limits }), () => 1000);
  return { ns, mem };
}

describe('System V shm namespace', () => {
  it('keys: IPC_PRIVATE always creates; IPC_CREAT/IPC_EXCL, ENOENT, size and permission checks', () => {
    const { ns, mem } = setup();
    const get = (key: number, size: number, flags: number, c = ROOT) => ns.get({ key, size, flags, pid: 1, creds: c, mem });
    const a = get(IPC_PRIVATE, 100, 0o600);
    const b = get(IPC_PRIVATE, 100, 0o600);
    assert.notEqual(a, b);
    errno('ENOENT', () => get(42, 100, 0));
    const k = get(42, 100, IPC.CREAT | 0o640);
    assert.equal(get(42, 0, 0), k);
    assert.equal(get(42, 50, IPC.CREAT), k);
    errno('EEXIST', () => get(42, 100, IPC.CREAT | IPC.EXCL));
    errno('EINVAL', () => get(42, 101, 0));
    const user = creds(1000, 1000);
    errno('EACCES', () => get(42, 0, 0o400, user));
    assert.equal(get(42, 0, 0, user), k, 'asking for no access always works');
    assert.equal(get(42, 0, 0o040, creds(1000, 1000, [], [0])), k, 'group read through a supplementary group');
    const seg = ns.byId(k);
    assert.deepEqual([seg.perm.uid, seg.perm.cuid, seg.perm.mode, seg.size, seg.cpid, seg.ctime], [0, 0, 0o640, 100, 1, 1000]);
  });

  it('ids: indexes cycle and the sequence moves on when they wrap (Linux >= 4.17)', () => {
    const { ns, mem } = setup();
    const get = () => ns.get({ key: IPC_PRIVATE, size: 1, flags: 0o600, pid: 1, creds: ROOT, mem });
    assert.deepEqual([get(), get(), get()], [0, 1, 2]);
    ns.remove(ns.byId(0));
    assert.equal(get(), 3, 'the cursor goes on');
    assert.equal(ns.maxIndex(), 3);
    // With few segments in use the cycle is 64 indexes long.
    for (const id of [1, 2, 3]) ns.remove(ns.byId(id));
    for (let i = 4; i < 64; i++) {
      assert.equal(get(), i);
      ns.remove(ns.byId(i));
    }
    assert.equal(get(), IPCMNI + 0, 'wrapped to index 0 with the next sequence');
    errno('EINVAL', () => ns.byId(0));
  });

  it('limits: EINVAL for the size, ENOSPC for shmall and shmmni, ENOMEM beyond a slot', () => {
    const { ns, mem } = setup({ shmmax: 10000n, shmall: 3n, shmmni: 2 });
    const get = (size: number) => ns.get({ key: IPC_PRIVATE, size, flags: 0o600, pid: 1, creds: ROOT, mem });
    errno('EINVAL', () => get(0));
    errno('EINVAL', () => get(10001));
    get(2 * PAGE_SIZE);
    errno('ENOSPC', () => get(2 * PAGE_SIZE));
    get(1);
    errno('ENOSPC', () => get(1));
    const big = setup({ shmmax: 1n << 40n });
    errno('ENOMEM', () => big.ns.get({ key: IPC_PRIVATE, size: 2 ** 31, flags: 0, pid: 1, creds: ROOT, mem: big.mem }));
  });

  it('IPC_RMID frees the key at once and the memory at the last detach', () => {
    const { ns, mem } = setup();
    const id = ns.get({ key: 7, size: 5000, flags: IPC.CREAT | 0o600, pid: 1, creds: ROOT, mem });
    const seg = ns.byId(id);
    seg.attached(1, 5);
    ns.remove(seg);
    assert.equal(seg.perm.key, IPC_PRIVATE);
    assert.equal(seg.perm.mode, 0o600 | SHM.DEST);
    errno('ENOENT', () => ns.get({ key: 7, size: 0, flags: 0, pid: 1, creds: ROOT, mem }));
    assert.equal(ns.byId(id), seg, 'still there while attached');
    assert.equal(mem.live.size, 1);
    seg.attached(-1, 6);
    errno('EINVAL', () => ns.byId(id));
    assert.equal(mem.live.size, 0);
    assert.equal(ns.totalPages, 0);
    assert.equal(seg.lpid, 6);
  });
});

describe('System V IPC permissions', () => {
  const perm: IpcPerm = { key: 0, uid: 10, gid: 20, cuid: 11, cgid: 21, mode: 0o640, seq: 0 };

  it('owner, creator, group and others get their digit of the mode', () => {
    assert.ok(ipcAllowed(creds(10, 99), perm, 0o666));
    assert.ok(ipcAllowed(creds(11, 99), perm, 0o600), 'the creator counts as owner');
    assert.ok(ipcAllowed(creds(12, 20), perm, 0o444));
    assert.ok(!ipcAllowed(creds(12, 21), perm, 0o666), 'group may not write');
    assert.ok(!ipcAllowed(creds(12, 99), perm, 0o444), 'others get nothing');
    assert.ok(ipcAllowed(creds(12, 99, [CAP.IPC_OWNER]), perm, 0o666), 'CAP_IPC_OWNER overrides');
    assert.ok(!ipcAllowed(creds(10, 99), { ...perm, mode: 0o040 }, 0o444), 'the owner digit applies to the owner even when group would allow');
  });

  it('IPC_SET/IPC_RMID need the owner, the creator or CAP_SYS_ADMIN', () => {
    assert.ok(ipcOwnerOrAdmin(creds(10), perm));
    assert.ok(ipcOwnerOrAdmin(creds(11), perm));
    assert.ok(!ipcOwnerOrAdmin(creds(12, 20, [CAP.IPC_OWNER]), perm));
    assert.ok(ipcOwnerOrAdmin(creds(12, 20, [CAP.SYS_ADMIN]), perm));
  });
});

describe('System V shm attachments in the memory manager', () => {
  it('shmat maps the slot shared, nattch counts areas, fork adds, exit and shmdt remove', () => {
    const { ns, mem } = setup();
    const id = ns.get({ key: IPC_PRIVATE, size: 5000, flags: 0o600, pid: 1, creds: ROOT, mem });
    const seg = ns.byId(id);
    const host = new SharedFake();
    const mm = new MemoryManager(host, host, 0x7ffb_0000_0000);
    mm.shmPid = 1;
    const addr = mm.attachShm(seg, 0, 3, false);
    assert.ok(host.calls.includes(`mapshared ${addr.toString(16)} 2000 3 @${seg.slot.toString(16)}`), host.calls.join('\n'));
    assert.equal(seg.nattch, 1);
    assert.match(mm.procMaps(), new RegExp(`rw-s 00000000 00:01 ${id} +/SYSV00000000 \\(deleted\\)`));
    const child = mm.fork(new SharedFake(), new SharedFake(), 2);
    assert.deepEqual([seg.nattch, seg.lpid], [2, 1], 'a fork attaches, as the parent');
    child.releaseCaches();
    assert.deepEqual([seg.nattch, seg.lpid], [1, 2], 'exit detaches, as the child');
    errno('EINVAL', () => mm.attachShm(seg, addr, 3, false));
    errno('EINVAL', () => mm.detachShm(addr + PAGE_SIZE));
    mm.mprotect(addr, PAGE_SIZE, 1);
    assert.equal(seg.nattch, 2, 'a split area is two attachments, as in Linux');
    const moved = mm.mremap(addr, PAGE_SIZE, PAGE_SIZE, MREMAP.MAYMOVE | MREMAP.DONTUNMAP, 0);
    assert.equal(seg.nattch, 3, 'MREMAP_DONTUNMAP leaves the segment mapped at the old range too');
    assert.ok(host.calls.includes(`mapshared ${addr.toString(16)} 1000 1 @${seg.slot.toString(16)}`), host.calls.join('\n'));
    mm.munmap(moved, PAGE_SIZE);
    assert.equal(seg.nattch, 2);
    mm.detachShm(addr);
    assert.equal(seg.nattch, 0);
    assert.equal(mm.vmas.size, 0);
    const ro = mm.attachShm(seg, 0, 1, false);
    errno('EACCES', () => mm.mprotect(ro, PAGE_SIZE, 3));
    mm.unmapAll();
    assert.equal(seg.nattch, 0, 'exec detaches');
  });
});
