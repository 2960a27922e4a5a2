/**
 * An inotify instance (inotify(7)): its watches, by watch descriptor, and
 * the queue of events that read(2) returns as struct inotify_event records.
 * The events come from the VFS through vfs/fsnotify.ts.
 *
 * As Linux: watch descriptors count up from 1 and are not reused while
 * the instance lives; one watch per inode and instance (adding again
 * replaces or, with IN_MASK_ADD, extends its mask); an event identical to
 * the last one queued is merged into it; past max_queued_events (16384)
 * events are dropped and one IN_Q_OVERFLOW (wd -1) is queued; a read
 * returns whole events only (EINVAL when the first does not fit); the
 * name is padded with NULs to a multiple of 16 bytes.
 */
import { FIONREAD, O } from '../../abi/linux/fs';
import { IN, IN_ALL_EVENTS, INOTIFY_EVENT_SIZE, INOTIFY_MAX_QUEUED_EVENTS } from '../../abi/linux/inotify';
import { POLL } from '../../abi/linux/poll';
import { fail } from '../../errors/linuxerr';
import { writeI32 } from '../../kernel/usermem';
import { Block, WaitQueue } from '../../kernel/wait';
import type { MemoryIO } from '../../platform/platform';
import { addWatch, removeWatch, type Watch, type WatchOwner } from '../../vfs/fsnotify';
import type { Inode } from '../../vfs/inode';
import { AnonFile } from '../anon/anon';

interface QueuedEvent {
  wd: number;
  mask: number;
  cookie: number;
  /** The name with its NUL padding (empty for none). */
  name: Buffer;
}

/** The padded name of an event: NUL-terminated, rounded up to the event header's size. */
function paddedName(name: string): Buffer {
  if (name === '') return Buffer.alloc(0);
  const raw = Buffer.from(name, 'utf8');
  const out = Buffer.alloc(Math.ceil((raw.length + 1) / INOTIFY_EVENT_SIZE) * INOTIFY_EVENT_SIZE);
  raw.copy(out);
  return out;
}

function size(e: QueuedEvent): number {
  return INOTIFY_EVENT_SIZE + e.name.length;
}

/**
 * Watches the sandbox may hold (its max_user_watches): Linux sizes the
 * limit from memory (8192 to 1048576); each watch costs the Sentry memory,
 * so a sandbox gets a fixed 65536 (ENOSPC past it), room for recursive
 * watchers of big trees.
 */
export const INOTIFY_MAX_WATCHES = 65536;

/** Read events are cut from the front of the queue once this many have piled up (or all were read). */
const COMPACT_AT = 1024;

const OVERFLOW: QueuedEvent = { wd: -1, mask: IN.Q_OVERFLOW, cookie: 0, name: Buffer.alloc(0) };

export class Inotify extends AnonFile implements WatchOwner {
  readonly waitQueue = new WaitQueue();
  private readonly watches = new Map<number, Watch>();
  private readonly byInode = new Map<Inode, Watch>();
  private nextWd = 1;
  private readonly events: QueuedEvent[] = [];
  /** Index of the first unread event in `events` (reads take from the front). */
  private head = 0;
  private queuedBytes = 0;

  constructor(flags: number) {
    super('inotify', O.RDONLY | flags, 'anon_inode:inotify');
  }

  /**
   * inotify_add_watch on a resolved inode: a new watch, or the mask of the
   * existing one replaced (or extended with IN_MASK_ADD; EEXIST with
   * IN_MASK_CREATE). `room`: whether the sandbox may hold one more watch
   * (else ENOSPC, as past max_user_watches).
   */
  watch(inode: Inode, mask: number, room: boolean): number {
    const kept = mask & (IN_ALL_EVENTS | IN.ONESHOT | IN.EXCL_UNLINK);
    const existing = this.byInode.get(inode);
    if (existing) {
      if (mask & IN.MASK_CREATE) fail('EEXIST', `inode already watched as ${existing.wd}`);
      existing.mask = mask & IN.MASK_ADD ? existing.mask | kept : kept;
      return existing.wd;
    }
    if (!room) fail('ENOSPC', 'max_user_watches reached');
    const w: Watch = { wd: this.nextWd++, mask: kept, inode, owner: this };
    this.watches.set(w.wd, w);
    this.byInode.set(inode, w);
    addWatch(w);
    return w.wd;
  }

  /** inotify_rm_watch: EINVAL for an unknown wd; queues IN_IGNORED. */
  unwatch(wd: number): void {
    const w = this.watches.get(wd) ?? fail('EINVAL', `no watch ${wd}`);
    removeWatch(w);
    this.dropped(w);
  }

  queue(w: Watch, mask: number, cookie: number, name: string): void {
    this.push({ wd: w.wd, mask, cookie, name: paddedName(name) });
  }

  dropped(w: Watch): void {
    this.watches.delete(w.wd);
    this.byInode.delete(w.inode);
    this.push({ wd: w.wd, mask: IN.IGNORED, cookie: 0, name: Buffer.alloc(0) });
  }

  private push(e: QueuedEvent): void {
    const queued = this.events.length - this.head;
    const last = queued > 0 ? this.events[this.events.length - 1] : undefined;
    if (last && last.wd === e.wd && last.mask === e.mask && last.cookie === e.cookie && last.name.equals(e.name)) return;
    if (queued >= INOTIFY_MAX_QUEUED_EVENTS) {
      if (last === OVERFLOW) return;
      e = OVERFLOW;
    }
    this.events.push(e);
    this.queuedBytes += size(e);
    this.waitQueue.notify();
  }

  read(dst: Buffer): number {
    if (this.head === this.events.length) {
      if (this.flags & O.NONBLOCK) fail('EAGAIN', 'no inotify event');
      throw new Block([this.waitQueue], undefined, 0, 'restart');
    }
    let off = 0;
    while (this.head < this.events.length) {
      const e = this.events[this.head];
      if (off + size(e) > dst.length) break;
      dst.writeInt32LE(e.wd, off);
      dst.writeUInt32LE(e.mask >>> 0, off + 4);
      dst.writeUInt32LE(e.cookie, off + 8);
      dst.writeUInt32LE(e.name.length, off + 12);
      e.name.copy(dst, off + INOTIFY_EVENT_SIZE);
      off += size(e);
      this.queuedBytes -= size(e);
      this.head++;
    }
    if (off === 0) fail('EINVAL', `inotify read buffer of ${dst.length} bytes is smaller than the next event`);
    if (this.head === this.events.length || this.head >= COMPACT_AT) {
      this.events.splice(0, this.head);
      this.head = 0;
    }
    return off;
  }

  write(): number {
    return fail('EINVAL', 'write to an inotify instance');
  }

  readiness(): number {
    return this.head < this.events.length ? POLL.IN | POLL.RDNORM : 0;
  }

  /** FIONREAD: the bytes of every queued event. */
  ioctl(mem: MemoryIO, cmd: number, arg: number): number {
    if (cmd !== FIONREAD) return fail('ENOTTY', `inotify ioctl ${cmd.toString(16)}`);
    writeI32(mem, arg, this.queuedBytes);
    return 0;
  }

  /** The instance is closed: its watches go without events. */
  protected override release(): void {
    for (const w of this.watches.values()) removeWatch(w);
    this.watches.clear();
    this.byInode.clear();
    this.events.length = 0;
  }
}
