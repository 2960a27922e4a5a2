/**
 * System V message queues of one IPC namespace (one per kernel, shared by
 * a pod's containers), with Linux's ipc/msg.c rules: queues by key or id,
 * messages with a positive type, a queue's byte and count limit
 * (msg_qbytes, kernel.msgmnb by default), kernel.msgmax per message and
 * kernel.msgmni queues, and msgrcv's selection by type (the first, the
 * first of a type or of any other type with MSG_EXCEPT, or the lowest type
 * up to a bound). Pure logic: the syscalls (syscalls/msg.ts) wait on a
 * queue's wait queue and run again.
 */
import { MSG } from '../../abi/linux/ipc';
import { fail } from '../../errors/linuxerr';
import { WaitQueue } from '../wait';
import { type IpcCreds, ipcGet, ipcId, IpcIds, type IpcObject, type IpcPerm, IpcWaiters, newPerm } from './ipc';

/** kernel.msgmax (bytes per message), kernel.msgmnb (a new queue's msg_qbytes), kernel.msgmni (queues). */
export interface MsgLimits {
  msgmax: number;
  msgmnb: number;
  msgmni: number;
}

export interface Message {
  type: bigint;
  text: Buffer;
}

export class MsgQueue implements IpcObject {
  /** Notified whenever a message comes or goes, and at removal. */
  readonly queue = new WaitQueue();
  readonly messages: Message[] = [];
  removed = false;
  bytes = 0;
  qbytes: number;
  stime = 0;
  rtime = 0;
  ctime: number;
  lspid = 0;
  lrpid = 0;

  constructor(
    readonly index: number,
    readonly perm: IpcPerm,
    qbytes: number,
    now: number,
  ) {
    this.qbytes = qbytes;
    this.ctime = now;
  }

  get id(): number {
    return ipcId(this);
  }
}

export class MsgNamespace {
  private readonly ids = new IpcIds<MsgQueue>('message queue');
  /** Who waits in msgsnd or msgrcv, on which queue (EIDRM when it goes). */
  readonly waiting = new IpcWaiters<MsgQueue, undefined>();

  constructor(
    readonly limits: () => MsgLimits,
    /** Seconds since the epoch for stime/rtime/ctime. */
    readonly now: () => number,
  ) {}

  queues(): MsgQueue[] {
    return this.ids.all();
  }

  maxIndex(): number {
    return this.ids.maxIndex();
  }

  /** msgget(2): ENOSPC past kernel.msgmni. */
  get(key: number, flags: number, creds: IpcCreds): MsgQueue {
    const create = (): MsgQueue => {
      const lim = this.limits();
      if (this.ids.count >= lim.msgmni) fail('ENOSPC', 'kernel.msgmni reached');
      return this.ids.add(key, (index, seq) => new MsgQueue(index, newPerm(key, flags, creds, seq), lim.msgmnb, this.now()));
    };
    return ipcGet(this.ids, key, flags, creds, create, () => undefined);
  }

  byId(id: number): MsgQueue {
    return this.ids.byId(id);
  }

  atIndex(index: number): MsgQueue {
    return this.ids.atIndex(index);
  }

  /** Whether `q` has room for `size` more bytes and one more message (Linux counts both against msg_qbytes). */
  fits(q: MsgQueue, size: number): boolean {
    return q.bytes + size <= q.qbytes && q.messages.length + 1 <= q.qbytes;
  }

  /** Appends a message (the caller checked `fits`). */
  send(q: MsgQueue, m: Message, pid: number): void {
    q.messages.push(m);
    q.bytes += m.text.length;
    q.lspid = pid;
    q.stime = this.now();
    q.queue.notify();
  }

  /**
   * The index of the message msgrcv takes for `type`: 0 the first; > 0 the
   * first of that type (of any other with MSG_EXCEPT); < 0 the first of the
   * lowest type up to |type|. -1 when none.
   */
  find(q: MsgQueue, type: bigint, flags: number): number {
    if (type === 0n) return q.messages.length > 0 ? 0 : -1;
    if (type > 0n) return q.messages.findIndex((m) => (flags & MSG.EXCEPT ? m.type !== type : m.type === type));
    let best = -1;
    q.messages.forEach((m, i) => {
      if (m.type <= -type && (best < 0 || m.type < q.messages[best].type)) best = i;
    });
    return best;
  }

  /** Takes message `i` off `q`. */
  take(q: MsgQueue, i: number, pid: number): Message {
    const [m] = q.messages.splice(i, 1);
    q.bytes -= m.text.length;
    q.lrpid = pid;
    q.rtime = this.now();
    q.queue.notify();
    return m;
  }

  /** IPC_RMID: gone at once, its messages with it; waiters wake to EIDRM. */
  remove(q: MsgQueue): void {
    if (!this.ids.remove(q)) return;
    q.removed = true;
    q.messages.length = 0;
    q.bytes = 0;
    q.queue.notify();
  }

  /** MSG_INFO's totals: queues, messages and bytes in them. */
  totals(): { queues: number; messages: number; bytes: number } {
    const all = this.ids.all();
    return { queues: all.length, messages: all.reduce((n, q) => n + q.messages.length, 0), bytes: all.reduce((n, q) => n + q.bytes, 0) };
  }
}
