/**
 * File events for inotify (Linux's fsnotify, include/linux/fsnotify.h):
 * the VFS and the file syscalls report what they did here, and every
 * watch on the inodes concerned gets its event. The order and the routing
 * follow Linux's:
 *
 * - path events (open, access, modify, attrib through setattr, close) go
 *   to watches on the parent directory first, with the child's name, then
 *   to watches on the file itself, without one; IN_ISDIR marks a directory;
 * - name events (create, delete, moved from/to) go to the directory only;
 * - inode events (the link count's IN_ATTRIB, IN_MOVE_SELF, IN_DELETE_SELF)
 *   to the inode's own watches, without IN_ISDIR;
 * - an inode whose last link is gone is deleted (IN_DELETE_SELF, then each
 *   watch is dropped with IN_IGNORED) once no open description holds it.
 *
 * Watches hang on the VFS's inodes (Loc.inode: the overlay's, not the
 * layer below), so a watch sees what is done through this Sentry; changes
 * made on the host behind a Gofer are not seen. With no watch anywhere
 * every report returns at once.
 */
import { S_IFDIR, S_IFMT } from '../abi/linux/fs';
import { IN, IN_ALL_EVENTS } from '../abi/linux/inotify';
import type { Inode } from './inode';

// Not inode.ts's isDir: file.ts imports this module, and inode.ts imports file.ts's classes.
function isDir(mode: number): boolean {
  return (mode & S_IFMT) === S_IFDIR;
}

/** One inotify instance's interest in one inode. */
export interface Watch {
  readonly wd: number;
  /** IN_* events wanted, with IN_ONESHOT and IN_EXCL_UNLINK. */
  mask: number;
  readonly inode: Inode;
  readonly owner: WatchOwner;
}

/** The inotify instance behind a watch. */
export interface WatchOwner {
  /** Queues an event of `w`; `name` is a child's name ('' for the watched file itself). */
  queue(w: Watch, mask: number, cookie: number, name: string): void;
  /** `w` is gone (its inode deleted, or IN_ONESHOT fired): IN_IGNORED, and the instance forgets it. */
  dropped(w: Watch): void;
}

/** What an open description reports as (set at open by path; O_PATH descriptions report nothing). */
export interface Watchable {
  readonly inode: Inode;
  /** The directory the file was opened in; undefined for a mount's root. */
  readonly parent: Inode | undefined;
  /** The path it was opened by (its last component is its name in `parent`). */
  readonly path: string;
  /** Opened for writing: its close is IN_CLOSE_WRITE. */
  readonly writable: boolean;
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

const watchLists = new WeakMap<Inode, Watch[]>();
/** Open descriptions per inode (by path), for deletion at the last close. */
const openCounts = new WeakMap<Inode, number>();
/** Inodes whose last link went while open (and watches existed): deleted at their last close. */
const unlinkedOpen = new WeakSet<Inode>();
let liveWatches = 0;
let lastCookie = 0;

/** Watches on `inode` (empty: none). */
function watchesOf(inode: Inode): readonly Watch[] {
  return watchLists.get(inode) ?? [];
}

/** How many watches exist in this Sentry (the per-sandbox limit counts them). */
export function watchCount(): number {
  return liveWatches;
}

export function addWatch(w: Watch): void {
  const list = watchLists.get(w.inode);
  if (list) list.push(w);
  else watchLists.set(w.inode, [w]);
  liveWatches++;
}

/** Forgets `w` (rm_watch, its instance closed, or dropped here); no event. */
export function removeWatch(w: Watch): void {
  const list = watchLists.get(w.inode);
  const i = list ? list.indexOf(w) : -1;
  if (!list || i < 0) return;
  list.splice(i, 1);
  if (list.length === 0) watchLists.delete(w.inode);
  liveWatches--;
}

/** A fresh rename cookie (never 0). */
function nextCookie(): number {
  lastCookie = (lastCookie + 1) >>> 0 || 1;
  return lastCookie;
}

/** Delivers `mask` to `w` if it asks for it; IN_ONESHOT drops it after its first event. */
function deliver(w: Watch, mask: number, cookie: number, name: string): void {
  if ((w.mask & mask & IN_ALL_EVENTS) === 0) return;
  w.owner.queue(w, mask, cookie, name);
  if (w.mask & IN.ONESHOT) drop(w);
}

function drop(w: Watch): void {
  removeWatch(w);
  w.owner.dropped(w);
}

/** IN_EXCL_UNLINK: watches that asked for it hear nothing of open files with no link left. */
function excluded(w: Watch, inode: Inode): boolean {
  return (w.mask & IN.EXCL_UNLINK) !== 0 && unlinkedOpen.has(inode);
}

/** A path event (open, access, modify, setattr's attrib, close): the parent's watches, then the file's. */
export function notifyPath(inode: Inode, parent: Inode | undefined, name: string, event: number): void {
  if (liveWatches === 0) return;
  const mask = isDir(inode.mode) ? event | IN.ISDIR : event;
  if (parent) for (const w of [...watchesOf(parent)]) if (!excluded(w, inode)) deliver(w, mask, 0, name);
  for (const w of [...watchesOf(inode)]) if (!excluded(w, inode)) deliver(w, mask, 0, '');
}

/** A name event in `dir` (IN_CREATE, IN_DELETE, IN_MOVED_*); `subject` is the child. */
export function notifyName(dir: Inode, event: number, name: string, subject: Inode, cookie = 0): void {
  if (liveWatches === 0) return;
  const mask = isDir(subject.mode) ? event | IN.ISDIR : event;
  for (const w of [...watchesOf(dir)]) deliver(w, mask, cookie, name);
}

/** An inode event for its own watches (a link count change's IN_ATTRIB, IN_MOVE_SELF). */
export function notifyInode(inode: Inode, event: number): void {
  if (liveWatches === 0) return;
  for (const w of [...watchesOf(inode)]) deliver(w, event, 0, '');
}

/** IN_DELETE_SELF, then every watch of `inode` dropped. */
function deleted(inode: Inode): void {
  notifyInode(inode, IN.DELETE_SELF);
  for (const w of [...watchesOf(inode)]) drop(w);
}

/** Whether any watch exists: only then does the VFS work out whether an unlink removes a file's last link. */
export function watching(): boolean {
  return liveWatches > 0;
}

/**
 * `victim` lost a link (unlink, rmdir, replaced by a rename); `lastLink`:
 * it had no other (a directory never has). Its IN_ATTRIB (not for
 * directories, as Linux), then, for the last link, its deletion: at once,
 * or at the last close of the descriptions that have it open. Name events
 * are the caller's.
 */
export function notifyUnlinked(victim: Inode, lastLink: boolean): void {
  if (liveWatches === 0) return;
  lostLink(victim);
  if (lastLink) removed(victim);
}

/** fsnotify_link_count: IN_ATTRIB of a non-directory whose link count changed. */
function lostLink(inode: Inode): void {
  if (!isDir(inode.mode)) notifyInode(inode, IN.ATTRIB);
}

/** The last link of `inode` is gone: deleted now, or at the last close of what has it open. */
function removed(inode: Inode): void {
  if (openCounts.has(inode)) unlinkedOpen.add(inode);
  else deleted(inode);
}

/** A rename: IN_MOVED_FROM and IN_MOVED_TO with one cookie, the replaced file's lost link, IN_MOVE_SELF of the file moved, then the replaced file's deletion. */
export function notifyRename(from: Inode, fromName: string, to: Inode, toName: string, moved: Inode, replaced?: { inode: Inode; lastLink: boolean }): void {
  if (liveWatches === 0) return;
  const cookie = nextCookie();
  notifyName(from, IN.MOVED_FROM, fromName, moved, cookie);
  notifyName(to, IN.MOVED_TO, toName, moved, cookie);
  if (replaced) lostLink(replaced.inode);
  notifyInode(moved, IN.MOVE_SELF);
  if (replaced?.lastLink) removed(replaced.inode);
}

/** A description opened by path: counted for deletion at its last close, then IN_OPEN. */
export function notifyOpened(f: Watchable): void {
  openCounts.set(f.inode, (openCounts.get(f.inode) ?? 0) + 1);
  fileEvent(f, IN.OPEN);
}

function fileEvent(w: Watchable, event: number): void {
  if (liveWatches !== 0) notifyPath(w.inode, w.parent, nameOf(w.path), event);
}

/** A description that may have been opened by path (FileDescription.watchable). */
interface Described {
  readonly watchable?: Watchable;
}

/** A path event of an open description (none if it was not opened by path). */
export function notifyFile(f: Described, event: number): void {
  if (f.watchable) fileEvent(f.watchable, event);
}

/** `n` bytes read from `f`: IN_ACCESS when some were (vfs_read's rule). Returns `n`. */
export function accessed(f: Described, n: number): number {
  if (n > 0) notifyFile(f, IN.ACCESS);
  return n;
}

/** `n` bytes written to `f`: IN_MODIFY when some were. Returns `n`. */
export function modified(f: Described, n: number): number {
  if (n > 0) notifyFile(f, IN.MODIFY);
  return n;
}

/** The last reference of a description opened by path is gone: IN_CLOSE_*, then the file's deletion if it was unlinked and this was its last opener. */
export function notifyClosed(f: Watchable): void {
  const left = (openCounts.get(f.inode) ?? 1) - 1;
  if (left > 0) openCounts.set(f.inode, left);
  else openCounts.delete(f.inode);
  fileEvent(f, f.writable ? IN.CLOSE_WRITE : IN.CLOSE_NOWRITE);
  if (left <= 0 && unlinkedOpen.delete(f.inode)) deleted(f.inode);
}
