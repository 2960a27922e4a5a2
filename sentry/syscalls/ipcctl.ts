/** The control commands every System V IPC object has (shmctl, semctl): IPC_STAT and its by-index forms, IPC_SET, IPC_RMID. */
import { IPC } from '../abi/linux/ipc';
import { fail } from '../errors/linuxerr';
import { ipcAllowed, type IpcObject, ipcOwnerOrAdmin, updatePerm } from '../kernel/ipc/ipc';
import type { Task } from '../kernel/task';

type Obj = IpcObject & { ctime: number; readonly id: number };

/** A namespace's objects of one kind (ShmNamespace, SemNamespace). */
export interface IpcSpace<T extends Obj> {
  byId(id: number): T;
  atIndex(index: number): T;
  remove(o: T): void;
  now(): number;
}

/** What differs between kinds: their *_STAT and *_STAT_ANY commands (by index; the latter without the read check) and *id64_ds. */
export interface IpcKind<T extends Obj> {
  readonly statCmd: number;
  readonly statAnyCmd: number;
  readonly dsSize: number;
  encode(o: T): Buffer;
  /** IPC_SET of the kind's own fields: checked before the permissions change, applied after. */
  checkSet?(o: T, ds: Buffer, t: Task): void;
  applySet?(o: T, ds: Buffer): void;
}

/**
 * IPC_STAT (read permission; EACCES), *_STAT and *_STAT_ANY by index
 * (returning the id), IPC_SET and IPC_RMID (the owner, the creator or
 * CAP_SYS_ADMIN; EPERM); undefined for the kind's own commands.
 */
export function commonIpcCtl<T extends Obj>(t: Task, space: IpcSpace<T>, kind: IpcKind<T>, cmd: number, id: number, arg: number): number | undefined {
  const creds = t.process.creds;
  switch (cmd) {
    case IPC.STAT:
    case kind.statCmd:
    case kind.statAnyCmd: {
      const o = cmd === IPC.STAT ? space.byId(id) : space.atIndex(id);
      if (cmd !== kind.statAnyCmd && !ipcAllowed(creds, o.perm, 0o444)) fail('EACCES', 'not readable');
      t.mem.write(arg, kind.encode(o));
      return cmd === IPC.STAT ? 0 : o.id;
    }
    case IPC.SET: {
      const ds = t.mem.read(arg, kind.dsSize);
      const o = owned(t, space, id);
      kind.checkSet?.(o, ds, t);
      updatePerm(o.perm, ds);
      kind.applySet?.(o, ds);
      o.ctime = space.now();
      return 0;
    }
    case IPC.RMID:
      space.remove(owned(t, space, id));
      return 0;
    default:
      return undefined;
  }
}

/** Whether `t` still waits in its System V IPC call (parked, and alive): what IpcWaiters counts. */
export function parked(t: Task): boolean {
  return t.blocked !== undefined && t.kernel.tasks.get(t.tid) === t;
}

/** ipcctl_pre_down: the object for IPC_SET/IPC_RMID (EINVAL if none, EPERM if not the owner's). */
function owned<T extends Obj>(t: Task, space: IpcSpace<T>, id: number): T {
  const o = space.byId(id);
  if (!ipcOwnerOrAdmin(t.process.creds, o.perm)) fail('EPERM', 'not the owner or creator');
  return o;
}
