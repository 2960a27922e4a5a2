/**
 * POSIX message queues (mq_overview(7)) of one IPC namespace: named queues
 * of prioritized messages that live until unlinked and no longer open.
 * Linux's rules: fs.mqueue.* limits (lifted by CAP_SYS_RESOURCE, never
 * past the hard ones), RLIMIT_MSGQUEUE bytes per user charged while a
 * queue exists, file-like permissions on open, unlink by the owner only,
 * one process registered for a notification, sent when a message
 * arrives on an empty queue that no receiver waits on.
 */
import { CAP } from '../../abi/linux/capability';
import { HARD_MSGMAX, HARD_MSGSIZEMAX, MQ_PRIO_MAX, MSG_MSG_SIZE, MSG_TREE_NODE_SIZE } from '../../abi/linux/mqueue';
import { fail } from '../../errors/linuxerr';
import type { Credentials } from '../creds';
import type { Process, Task } from '../task';
import { WaitQueue } from '../wait';

export interface MqLimits {
  msgMax: number;
  msgsizeMax: number;
  queuesMax: number;
  msgDefault: number;
  msgsizeDefault: number;
}

interface Message {
  prio: number;
  data: Buffer;
}

/** mq_notify's registration: SIGEV_NONE or SIGEV_SIGNAL (`notify`), with the signal and value of the latter. */
export interface MqNotification {
  owner: Process;
  notify: number;
  signo: number;
  value: bigint;
}

export class MessageQueue {
  /** Highest priority first, oldest first within one. */
  private readonly messages: Message[] = [];
  /** Bytes of the queued messages (the QSIZE of a read). */
  bytes = 0;
  readonly waitQueue = new WaitQueue();
  /** Tasks waiting in a receive: a message for one of them notifies nobody. */
  readonly receivers = new Set<Task>();
  notification?: MqNotification;
  /** Open descriptions; the queue goes (and its charge comes back) at the last close after unlink. */
  opens = 0;
  unlinked = false;

  constructor(
    readonly name: string,
    readonly maxmsg: number,
    readonly msgsize: number,
    readonly uid: number,
    readonly gid: number,
    readonly mode: number,
    readonly charge: { uid: number; bytes: number },
    readonly ino: number,
  ) {}

  get length(): number {
    return this.messages.length;
  }

  get full(): boolean {
    return this.messages.length >= this.maxmsg;
  }

  /** Queues a message; true when the queue was empty and a notification is due (no receiver waits). */
  push(prio: number, data: Buffer): boolean {
    let i = this.messages.length;
    while (i > 0 && this.messages[i - 1].prio < prio) i--;
    this.messages.splice(i, 0, { prio, data });
    this.bytes += data.length;
    this.waitQueue.notify();
    return this.messages.length === 1 && !this.receiverWaits() && this.notification !== undefined;
  }

  /** Whether a live task waits in a receive (one killed while waiting never took its name off). */
  private receiverWaits(): boolean {
    for (const t of this.receivers) {
      if (t.kernel.tasks.get(t.tid) === t) return true;
      this.receivers.delete(t);
    }
    return false;
  }

  /** The oldest message of the highest priority, or undefined. */
  shift(): Message | undefined {
    const m = this.messages.shift();
    if (m) {
      this.bytes -= m.data.length;
      this.waitQueue.notify();
    }
    return m;
  }
}

/** The RLIMIT_MSGQUEUE bytes of a queue: its messages and Linux's per-message bookkeeping. */
export function queueBytes(maxmsg: number, msgsize: number): number {
  return maxmsg * MSG_MSG_SIZE + Math.min(maxmsg, MQ_PRIO_MAX) * MSG_TREE_NODE_SIZE + maxmsg * msgsize;
}

/** A queue name as the kernel gets it (glibc strips the leading '/'): ENOENT when empty, EACCES as lookup_one_len, ENAMETOOLONG past NAME_MAX. */
export function checkName(name: string): void {
  if (name === '') fail('ENOENT', 'empty message queue name');
  if (name === '.' || name === '..' || name.includes('/')) fail('EACCES', `message queue name ${JSON.stringify(name)}`);
  if (Buffer.byteLength(name) > 255) fail('ENAMETOOLONG', 'message queue name');
}

export class MqNamespace {
  private readonly queues = new Map<string, MessageQueue>();
  /** RLIMIT_MSGQUEUE bytes charged per real uid. */
  private readonly charged = new Map<number, number>();
  private nextIno = 1;

  constructor(private readonly limits: () => MqLimits) {}

  lookup(name: string): MessageQueue | undefined {
    return this.queues.get(name);
  }

  /**
   * A new queue (O_CREAT found no queue of that name): `attr` or the
   * defaults, with Linux's checks (EINVAL; ENOSPC past queues_max; EMFILE
   * past the creator's RLIMIT_MSGQUEUE).
   */
  create(name: string, mode: number, attr: { maxmsg: number; msgsize: number } | undefined, creds: Credentials, rlimit: bigint): MessageQueue {
    const l = this.limits();
    const privileged = creds.hasCap(CAP.SYS_RESOURCE);
    if (this.queues.size >= l.queuesMax && !privileged) fail('ENOSPC', 'fs.mqueue.queues_max');
    let maxmsg = Math.min(l.msgDefault, l.msgMax);
    let msgsize = Math.min(l.msgsizeDefault, l.msgsizeMax);
    if (attr) {
      if (attr.maxmsg <= 0 || attr.msgsize <= 0) fail('EINVAL', 'mq_attr sizes');
      const [maxMsg, maxSize] = privileged ? [HARD_MSGMAX, HARD_MSGSIZEMAX] : [l.msgMax, l.msgsizeMax];
      if (attr.maxmsg > maxMsg || attr.msgsize > maxSize) fail('EINVAL', 'mq_attr past the limits');
      ({ maxmsg, msgsize } = attr);
    }
    const bytes = queueBytes(maxmsg, msgsize);
    const used = this.charged.get(creds.uid) ?? 0;
    if (BigInt(used + bytes) > rlimit) fail('EMFILE', 'RLIMIT_MSGQUEUE');
    this.charged.set(creds.uid, used + bytes);
    const q = new MessageQueue(name, maxmsg, msgsize, creds.euid, creds.egid, mode, { uid: creds.uid, bytes }, this.nextIno++);
    this.queues.set(name, q);
    return q;
  }

  /** mq_unlink: the name goes now, the queue at its last close; only its owner (or CAP_FOWNER) may: the mqueue root is sticky (EPERM, which glibc reports as EACCES). */
  unlink(name: string, creds: Credentials): void {
    const q = this.queues.get(name) ?? fail('ENOENT', `message queue ${name}`);
    if (q.uid !== creds.euid && !creds.hasCap(CAP.FOWNER)) fail('EPERM', 'not the owner of the message queue');
    this.queues.delete(name);
    q.unlinked = true;
    this.releaseIfGone(q);
  }

  /** An open description of `q` closed. */
  closed(q: MessageQueue): void {
    q.opens--;
    this.releaseIfGone(q);
  }

  private releaseIfGone(q: MessageQueue): void {
    if (!q.unlinked || q.opens > 0) return;
    this.charged.set(q.charge.uid, (this.charged.get(q.charge.uid) ?? 0) - q.charge.bytes);
  }
}
