/**
 * epoll(7) instances. Each registered (file, fd) pair listens on the
 * file's wait queue; a notification puts it on the instance's ready list
 * and wakes the instance's own waiters (so epoll fds nest and are
 * pollable). epoll_wait looks only at the ready list, as Linux does, so
 * its cost follows the ready entries rather than the registered ones (it
 * used to test every registered file: 7.5 ms per wait with 5000 pipes).
 * Level-triggered entries that reported go back to the end of the list,
 * so a small maxevents still reaches every fd; edge-triggered ones wait
 * for their next notification. Entries leave with EPOLL_CTL_DEL or when
 * their file description is released, whatever fds still name it.
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
  readonly waker: Waker;
  /** The collect() pass that last looked at it. */
  pass: number;
  /** The collect() pass that last reported it. */
  reported: number;
}

export interface EpollEvent {
  events: number;
  data: bigint;
}

export class EpollFile extends AnonFile {
  readonly waitQueue = new WaitQueue();
  /** Registered entries by file, then fd (Linux keys them by the pair). */
  private readonly entries = new Map<FileDescription, Map<number, Entry>>();
  /**
   * Entries that may have events (Linux's ready list), in the order they
   * were notified: a wait-queue notification, EPOLL_CTL_ADD or MOD, or a
   * level-triggered report puts an entry here; a check that finds no
   * events takes it off until its next notification.
   */
  private readonly ready = new Set<Entry>();
  /** Files whose release this instance listens for (once each: a file added and deleted again and again adds no more hooks). */
  private readonly hooked = new WeakSet<FileDescription>();
  /** Numbers collect()'s passes over the ready list. */
  private passes = 0;

  constructor(flags: number) {
    super('eventpoll', O.RDWR | flags);
  }

  private find(file: FileDescription, fd: number): Entry | undefined {
    return this.entries.get(file)?.get(fd);
  }

  /** Whether this instance watches `other`, directly or through nested instances. */
  private reaches(other: EpollFile): boolean {
    for (const file of this.entries.keys()) if (file === other || (file instanceof EpollFile && file.reaches(other))) return true;
    return false;
  }

  /** EPOLL_CTL_ADD: EEXIST if present, ELOOP for a cycle of epoll instances. */
  add(fd: number, file: FileDescription, events: number, data: bigint): void {
    if (this.find(file, fd)) fail('EEXIST', `fd ${fd} already registered`);
    if (file instanceof EpollFile && (file === this || file.reaches(this))) fail('ELOOP', 'epoll cycle');
    const e: Entry = { fd, file, events: events | EPOLL.ERR | EPOLL.HUP, data, waker: () => this.notified(e), pass: 0, reported: 0 };
    let byFd = this.entries.get(file);
    if (!byFd) this.entries.set(file, (byFd = new Map()));
    byFd.set(fd, e);
    if (!this.hooked.has(file)) {
      this.hooked.add(file);
      file.onLastClose?.(() => this.forget(file));
    }
    file.waitQueue?.add(e.waker);
    this.notified(e);
  }

  /** EPOLL_CTL_MOD: new events and data (re-arms ONESHOT); EINVAL for EPOLLEXCLUSIVE entries. */
  modify(fd: number, file: FileDescription, events: number, data: bigint): void {
    const e = this.find(file, fd) ?? fail('ENOENT', `fd ${fd} not registered`);
    if (e.events & EPOLL.EXCLUSIVE) fail('EINVAL', 'EPOLL_CTL_MOD of an EPOLLEXCLUSIVE entry');
    e.events = events | EPOLL.ERR | EPOLL.HUP;
    e.data = data;
    this.notified(e);
  }

  /** EPOLL_CTL_DEL. */
  remove(fd: number, file: FileDescription): void {
    this.drop(this.find(file, fd) ?? fail('ENOENT', `fd ${fd} not registered`));
  }

  /** `e` may have events now: onto the ready list (where it stays in place if it is there already), and waiters wake. */
  private notified(e: Entry): void {
    this.ready.add(e);
    this.waitQueue.notify();
  }

  private drop(e: Entry): void {
    e.file.waitQueue?.remove(e.waker);
    this.ready.delete(e);
    const byFd = this.entries.get(e.file);
    byFd?.delete(e.fd);
    if (byFd?.size === 0) this.entries.delete(e.file);
  }

  /** The description was released: its entries go, as Linux's eventpoll_release. */
  private forget(file: FileDescription): void {
    for (const e of [...(this.entries.get(file)?.values() ?? [])]) this.drop(e);
  }

  /** The events `e` would report now (0 for a fired ONESHOT). */
  private revents(e: Entry): number {
    return readinessOf(e.file) & e.events & ~EP_PRIVATE_BITS;
  }

  /**
   * Takes up to `max` ready events (epoll_wait). Edge entries are
   * consumed, ONESHOT entries disabled, reported level entries go back to
   * the end of the ready list.
   */
  collect(max: number): EpollEvent[] {
    const out: EpollEvent[] = [];
    const again: Entry[] = [];
    const firstPass = this.passes + 1;
    // Checking a host socket's readiness may notify its waiters, which puts an entry
    // this pass has passed back at the end of the list: another pass looks at it (a
    // refresh notifies only of bits that newly came up, so the passes end).
    while (this.collectPass(firstPass, max, out, again));
    for (const e of again) this.ready.add(e);
    return out;
  }

  /** One pass over the ready list for the collect() whose passes start at `firstPass`; whether an entry it had looked at came back. */
  private collectPass(firstPass: number, max: number, out: EpollEvent[], again: Entry[]): boolean {
    const pass = ++this.passes;
    for (const e of this.ready) {
      if (out.length >= max) return false;
      if (e.pass === pass) return true;
      e.pass = pass;
      // Reported once in this call already: its news waits for the next one.
      if (e.reported >= firstPass) continue;
      const r = this.revents(e);
      // A notification that came with this very check is no news for the next call.
      this.ready.delete(e);
      if (r === 0) continue;
      e.reported = pass;
      out.push({ events: r, data: e.data });
      if (e.events & EPOLL.ONESHOT) e.events &= EP_PRIVATE_BITS;
      else if (!(e.events & EPOLL.ET)) again.push(e);
    }
    return false;
  }

  /** Readable when some entry on the ready list would report an event. */
  readiness(): number {
    for (const e of this.ready) if (this.revents(e) !== 0) return POLL.IN | POLL.RDNORM;
    return 0;
  }

  read(): number {
    return fail('EINVAL', 'read from an epoll fd');
  }

  write(): number {
    return fail('EINVAL', 'write to an epoll fd');
  }

  protected override release(): void {
    for (const byFd of this.entries.values()) for (const e of byFd.values()) e.file.waitQueue?.remove(e.waker);
    this.entries.clear();
    this.ready.clear();
  }
}
