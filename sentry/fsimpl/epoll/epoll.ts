/**
 * epoll(7) instances. Each registered (file, fd) pair listens on the
 * file's wait queue: a notification marks it for edge-triggered reporting
 * and wakes the epoll's own waiters (so epoll fds nest and are pollable).
 * Level-triggered entries are reported whenever ready, rotating to the back
 * so a small maxevents still reaches every fd.
 */
import { EP_PRIVATE_BITS, EPOLL } from '../../abi/linux/epoll';
import { O } from '../../abi/linux/fs';
import { POLL } from '../../abi/linux/poll';
import { fail } from '../../errors/linuxerr';
import { readinessOf } from '../../kernel/poll';
import { WaitQueue, Waker } from '../../kernel/wait';
import type { FileDescription } from '../../vfs/file';
import { AnonFile } from '../anon/anon';

interface Entry {
  readonly fd: number;
  readonly file: FileDescription;
  /** Requested events with EPOLLERR|EPOLLHUP; only the flag bits once a ONESHOT entry fired. */
  events: number;
  data: bigint;
  /** A notification arrived since the last edge-triggered report. */
  pending: boolean;
  readonly waker: Waker;
}

export interface EpollEvent {
  events: number;
  data: bigint;
}

export class EpollFile extends AnonFile {
  readonly waitQueue = new WaitQueue();
  private entries: Entry[] = [];

  constructor(flags: number) {
    super('eventpoll', O.RDWR | flags);
  }

  private find(file: FileDescription, fd: number): Entry | undefined {
    return this.entries.find((e) => e.file === file && e.fd === fd);
  }

  /** Whether this instance watches `other`, directly or through nested instances. */
  private reaches(other: EpollFile): boolean {
    return this.entries.some((e) => e.file === other || (e.file instanceof EpollFile && e.file.reaches(other)));
  }

  /** EPOLL_CTL_ADD: EEXIST if present, ELOOP for a cycle of epoll instances. */
  add(fd: number, file: FileDescription, events: number, data: bigint): void {
    if (this.find(file, fd)) fail('EEXIST', `fd ${fd} already registered`);
    if (file instanceof EpollFile && (file === this || file.reaches(this))) fail('ELOOP', 'epoll cycle');
    const e: Entry = {
      fd, file, events: events | EPOLL.ERR | EPOLL.HUP, data, pending: true,
      waker: () => {
        e.pending = true;
        this.waitQueue.notify();
      },
    };
    file.waitQueue?.add(e.waker);
    this.entries.push(e);
    this.waitQueue.notify();
  }

  /** EPOLL_CTL_MOD: new events and data (re-arms ONESHOT); EINVAL for EPOLLEXCLUSIVE entries. */
  modify(fd: number, file: FileDescription, events: number, data: bigint): void {
    const e = this.find(file, fd) ?? fail('ENOENT', `fd ${fd} not registered`);
    if (e.events & EPOLL.EXCLUSIVE) fail('EINVAL', 'EPOLL_CTL_MOD of an EPOLLEXCLUSIVE entry');
    e.events = events | EPOLL.ERR | EPOLL.HUP;
    e.data = data;
    e.pending = true;
    this.waitQueue.notify();
  }

  /** EPOLL_CTL_DEL. */
  remove(fd: number, file: FileDescription): void {
    const e = this.find(file, fd) ?? fail('ENOENT', `fd ${fd} not registered`);
    this.drop(e);
  }

  private drop(e: Entry): void {
    e.file.waitQueue?.remove(e.waker);
    this.entries = this.entries.filter((x) => x !== e);
  }

  /** The events `e` would report now (0 for a fired ONESHOT or an edge entry without news). */
  private revents(e: Entry): number {
    if (e.events & EPOLL.ET && !e.pending) return 0;
    return readinessOf(e.file) & e.events & ~EP_PRIVATE_BITS;
  }

  /**
   * Takes up to `max` ready events (epoll_wait), first forgetting entries
   * whose file is no longer `open` (Linux drops them when the description
   * is released). Edge entries are consumed, ONESHOT entries disabled,
   * reported level entries move to the back.
   */
  collect(max: number, open: (f: FileDescription) => boolean): EpollEvent[] {
    for (const e of this.entries.filter((x) => !open(x.file))) this.drop(e);
    const out: EpollEvent[] = [];
    const reported: Entry[] = [];
    for (const e of this.entries) {
      if (out.length >= max) break;
      const r = this.revents(e);
      if (e.events & EPOLL.ET) e.pending = false;
      if (r === 0) continue;
      out.push({ events: r, data: e.data });
      reported.push(e);
      if (e.events & EPOLL.ONESHOT) e.events &= EP_PRIVATE_BITS;
    }
    const requeue = reported.filter((e) => !(e.events & (EPOLL.ET | EPOLL.ONESHOT)));
    this.entries = [...this.entries.filter((e) => !requeue.includes(e)), ...requeue];
    return out;
  }

  /** Readable when some entry would report an event. */
  readiness(): number {
    return this.entries.some((e) => this.revents(e) !== 0) ? POLL.IN | POLL.RDNORM : 0;
  }

  read(): number {
    return fail('EINVAL', 'read from an epoll fd');
  }

  write(): number {
    return fail('EINVAL', 'write to an epoll fd');
  }

  protected override release(): void {
    for (const e of this.entries) e.file.waitQueue?.remove(e.waker);
    this.entries = [];
  }
}
