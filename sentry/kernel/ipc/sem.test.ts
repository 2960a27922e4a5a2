import assert from 'node:assert/strict';
import { CAP } from '../../abi/linux/capability';
import { IPC, IPC_PRIVATE, SEM, SEMVMX } from '../../abi/linux/ipc';
import { ErrnoName } from '../../abi/linux/errno';
import { isLinuxError } from '../../errors/linuxerr';
import type { IpcCreds } from './ipc';
import { SemLimits, SemNamespace, type SemOp, SemUndoList } from './sem';

const ROOT: IpcCreds = { euid: 0, egid: 0, groups: [], hasCap: (c) => c === CAP.IPC_OWNER || c === CAP.SYS_ADMIN };

function errno(name: ErrnoName, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => isLinuxError(e, name), `expected ${name}`);
}

function space(limits: Partial<SemLimits> = {}): SemNamespace {
  return new SemNamespace(() => ({ semmsl: 250, semmns: 1000, semopm: 32, semmni: 8, ...limits }), () => 1000);
}

const ops = (...o: [number, number, number?][]): SemOp[] => o.map(([num, op, flags]) => ({ num, op, flags: flags ?? 0 }));

describe('System V semaphore sets', () => {
  it('semget: counts checked against SEMMSL, the set, and SEMMNS/SEMMNI', () => {
    const ns = space({ semmns: 5, semmni: 2 });
    errno('EINVAL', () => ns.get(7, 251, IPC.CREAT, ROOT));
    errno('EINVAL', () => ns.get(7, 0, IPC.CREAT, ROOT));
    const set = ns.get(7, 3, IPC.CREAT | 0o600, ROOT);
    assert.equal(ns.get(7, 2, 0, ROOT), set);
    errno('EINVAL', () => ns.get(7, 4, 0, ROOT));
    errno('ENOSPC', () => ns.get(IPC_PRIVATE, 3, 0o600, ROOT));
    ns.get(IPC_PRIVATE, 2, 0o600, ROOT);
    errno('ENOSPC', () => ns.get(IPC_PRIVATE, 0 + 1, 0o600, ROOT));
    assert.equal(ns.usedSems, 5);
    ns.remove(set);
    assert.equal(ns.usedSems, 2);
  });

  it('semop: all operations or none, in order; blocking, IPC_NOWAIT and ERANGE', () => {
    const ns = space();
    const set = ns.get(IPC_PRIVATE, 2, 0o600, ROOT);
    assert.deepEqual(ns.operate(set, ops([0, 2], [0, -1], [1, 5]), 10, undefined), { done: true });
    assert.deepEqual(set.sems.map((s) => [s.value, s.pid]), [[1, 10], [5, 10]]);
    const blocked = ns.operate(set, ops([1, 1], [0, -2]), 11, undefined);
    assert.deepEqual(blocked, { done: false, blocking: { num: 0, op: -2, flags: 0 } });
    assert.deepEqual(set.sems.map((s) => s.value), [1, 5], 'nothing applied');
    errno('EAGAIN', () => ns.operate(set, ops([1, 0, IPC.NOWAIT]), 11, undefined));
    errno('ERANGE', () => ns.operate(set, ops([1, SEMVMX]), 11, undefined));
    assert.deepEqual(ns.operate(set, ops([0, -1], [0, 0]), 12, undefined), { done: true }, 'a wait for zero sees the earlier operation');
  });

  it('SEM_UNDO: adjustments kept per list, applied clamped at exit, cleared by SETVAL and removal', () => {
    const ns = space();
    const set = ns.get(IPC_PRIVATE, 3, 0o600, ROOT);
    const undo = new SemUndoList();
    ns.operate(set, ops([0, 5, SEM.UNDO], [1, 4, SEM.UNDO], [2, 9, SEM.UNDO]), 20, undo);
    ns.operate(set, ops([0, -2, SEM.UNDO]), 20, undo);
    assert.deepEqual(undo.of(set), [-3, -4, -9]);
    ns.setValues(set, new Map([[2, 1]]), 21);
    assert.deepEqual(undo.of(set), [-3, -4, 0], 'SETVAL clears that semaphore');
    ns.operate(set, ops([1, -3]), 22, undefined);
    ns.applyUndo(undo, 23);
    assert.deepEqual(set.sems.map((s) => [s.value, s.pid]), [[0, 23], [0, 23], [1, 21]], 'clamped at 0; untouched ones keep their pid');
    const big = new SemUndoList();
    ns.operate(set, ops([0, SEMVMX, SEM.UNDO]), 24, big);
    ns.operate(set, ops([0, -SEMVMX], [0, 1, SEM.UNDO]), 24, big);
    assert.deepEqual(big.of(set)[0], -SEMVMX - 1);
    errno('ERANGE', () => ns.operate(set, ops([0, 1, SEM.UNDO]), 24, big));
    ns.remove(set);
    assert.equal(big.adjust.has(set), false, 'removal forgets the set');
  });
});
