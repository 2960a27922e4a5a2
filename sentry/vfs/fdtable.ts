import type { ErrnoName } from '../abi/linux/errno';
import { fail } from '../errors/linuxerr';
import { FileDescription } from './file';

interface FdEntry {
  file: FileDescription;
  cloexec: boolean;
}

/** Where install() may put a descriptor. */
export interface InstallOptions {
  cloexec?: boolean;
  /** Lowest acceptable fd (F_DUPFD's argument). */
  min?: number;
  /** RLIMIT_NOFILE: fds must be below it (EMFILE otherwise). */
  limit?: number;
}

/** Default RLIMIT_NOFILE when the caller does not pass one. */
const DEFAULT_LIMIT = 1 << 20;

/**
 * A process's file descriptor table. Each entry holds one reference on its
 * FileDescription; install() takes over the caller's reference.
 */
export class FdTable {
  private readonly fds = new Map<number, FdEntry>();
  /**
   * Every fd below it is in use (Linux's next_fd): the search for the
   * lowest free fd starts here, so a process opening its 100,000th file
   * does not test the 99,999 before it (each open and dup took time
   * proportional to the open fds: 10,000 dups 2.7 s).
   */
  private lowestFree = 0;
  /** See onDrop. */
  private dropHooks: ((file: FileDescription) => void)[] | undefined;

  /**
   * Runs `hook` with each description this table lets go of (close, dup2
   * over it, close-on-exec, exit) before its reference is dropped: POSIX
   * record locks, owned by the table, end there. A clone (fork) starts
   * without hooks, as it starts without locks.
   */
  onDrop(hook: (file: FileDescription) => void): void {
    (this.dropHooks ??= []).push(hook);
  }

  private drop(file: FileDescription): void {
    for (const h of this.dropHooks ?? []) h(file);
    file.decRef();
  }

  /**
   * The description behind `fd` when it is a `kind` (an epoll instance, a
   * pidfd…); `errno` when it is another file, EBADF when none is open.
   */
  getKind<T extends FileDescription>(fd: number, kind: abstract new (...args: never[]) => T, errno: ErrnoName, what: string): T {
    const f = this.get(fd);
    return f instanceof kind ? f : fail(errno, `fd ${fd} is not ${what}`);
  }

  /** The description behind `fd`; throws EBADF. */
  get(fd: number): FileDescription {
    return this.entry(fd).file;
  }

  private entry(fd: number): FdEntry {
    return this.fds.get(fd) ?? fail('EBADF', `fd ${fd}`);
  }

  /** Puts `file` at the lowest free fd >= min; EMFILE when none is below the limit. */
  install(file: FileDescription, opts: InstallOptions = {}): number {
    const limit = opts.limit ?? DEFAULT_LIMIT;
    const min = opts.min ?? 0;
    let fd = Math.max(min, this.lowestFree);
    while (this.fds.has(fd)) fd++;
    if (fd >= limit) fail('EMFILE', `fd ${fd} >= ${limit}`);
    this.fds.set(fd, { file, cloexec: opts.cloexec ?? false });
    // Searched from lowestFree: every fd up to this one is in use now.
    if (min <= this.lowestFree) this.lowestFree = fd + 1;
    return fd;
  }

  /** dup2/dup3: puts `file` at exactly `fd`, closing what was there. EBADF beyond the limit. */
  installAt(fd: number, file: FileDescription, cloexec: boolean, limit = DEFAULT_LIMIT): void {
    if (fd < 0 || fd >= limit) fail('EBADF', `fd ${fd} outside [0, ${limit})`);
    const old = this.fds.get(fd);
    this.fds.set(fd, { file, cloexec });
    if (old) this.drop(old.file);
  }

  close(fd: number): void {
    const e = this.entry(fd);
    this.fds.delete(fd);
    this.lowestFree = Math.min(this.lowestFree, fd);
    this.drop(e.file);
  }

  /** close_range(2) over [first, last]; with `cloexecOnly`, marks instead of closing. */
  closeRange(first: number, last: number, cloexecOnly: boolean): void {
    for (const [fd, e] of [...this.fds]) {
      if (fd < first || fd > last) continue;
      if (cloexecOnly) e.cloexec = true;
      else this.close(fd);
    }
  }

  getCloexec(fd: number): boolean {
    return this.entry(fd).cloexec;
  }

  setCloexec(fd: number, cloexec: boolean): void {
    this.entry(fd).cloexec = cloexec;
  }

  /** execve(2): closes every descriptor marked FD_CLOEXEC. */
  closeOnExec(): void {
    for (const [fd, e] of [...this.fds]) if (e.cloexec) this.close(fd);
  }

  /** fork(2): a copy sharing every description (each gains a reference). */
  clone(): FdTable {
    const t = new FdTable();
    for (const [fd, e] of this.fds) {
      e.file.incRef();
      t.fds.set(fd, { ...e });
    }
    t.lowestFree = this.lowestFree;
    return t;
  }

  /** Process exit: drops every descriptor. */
  closeAll(): void {
    for (const fd of [...this.fds.keys()]) this.close(fd);
  }

  /** Open fds in ascending order (for /proc/[pid]/fd). */
  list(): [number, FileDescription][] {
    return [...this.fds].sort((a, b) => a[0] - b[0]).map(([fd, e]) => [fd, e.file]);
  }
}
