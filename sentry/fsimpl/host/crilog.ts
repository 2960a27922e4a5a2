/**
 * A container's stdout and stderr as the CRI log file kubelet reads: every
 * line becomes `<RFC3339Nano time> <stream> <F|P> <text>\n`, written with
 * O_APPEND to a host fd the runtime opened (the Sentry opens nothing).
 * Lines longer than MAX_LINE are cut into partial (P) records, as
 * containerd does; a last line without a newline is flushed as full (F)
 * when the stream closes. ReopenContainerLog swaps the host fd.
 */
import { O, S_IFIFO } from '../../abi/linux/fs';
import { fail } from '../../errors/linuxerr';
import { hostSetNonblocking, hostWriteAll } from '../../platform/host/hostfd';
import { closeFd } from '../../platform/host/fdio';
import { FileDescriptionBase, Stat, Timespec } from '../../vfs/file';
import { host } from './hostfile';

/** The longest record; longer lines are split into P records (containerd's buffer size). */
export const MAX_LINE = 16 * 1024;
const EPOCH: Timespec = { sec: 0, nsec: 0 };

/** RFC 3339 with nanoseconds, in UTC, as kubelet parses it (time.RFC3339Nano drops trailing zeros; both parse). */
export function rfc3339Nano(ms: number, nsInMs: number): string {
  const iso = new Date(ms).toISOString(); // 2006-01-02T15:04:05.000Z
  const frac = `${iso.slice(20, 23)}${String(nsInMs).padStart(6, '0')}`;
  return `${iso.slice(0, 19)}.${frac}Z`;
}

function now(): string {
  const ns = process.hrtime.bigint();
  return rfc3339Nano(Date.now(), Number(ns % 1_000_000n));
}

export type Stream = 'stdout' | 'stderr';

/**
 * The output of a container: the log file shared by its stdout and stderr
 * (none when the pod has no log directory), plus the host fds of attached
 * clients (`crictl attach`), which get the raw bytes.
 */
export class CriLog {
  private readonly attached = new Map<Stream, Set<number>>([['stdout', new Set()], ['stderr', new Set()]]);

  constructor(private fd: number | undefined) {}

  /** Raw output to the attached clients of `stream`; a client that fails is dropped. */
  tee(stream: Stream, data: Buffer): void {
    for (const fd of this.attached.get(stream)!) {
      if (hostWriteAll(fd, data, false)) continue;
      this.attached.get(stream)!.delete(fd);
      closeFd(fd);
    }
  }

  /**
   * A client attaches: it gets every later output byte of `stream` on `fd`
   * (which the log now owns). Writes to it never block the Sentry: a client
   * that stops reading until its socket buffer is full is dropped.
   */
  attach(stream: Stream, fd: number): void {
    host(() => hostSetNonblocking(fd));
    this.attached.get(stream)!.add(fd);
  }

  /** Ends every attached client (the container exited): they see end of file. */
  detachAll(): void {
    for (const fds of this.attached.values()) {
      for (const fd of fds) closeFd(fd);
      fds.clear();
    }
  }

  /** Writes one record; the log is best effort: a full disk must not kill the app. */
  record(stream: Stream, tag: 'F' | 'P', text: Buffer): void {
    if (this.fd === undefined) return;
    const head = Buffer.from(`${now()} ${stream} ${tag} `);
    // A failed write (full disk) drops the record: nowhere to report it.
    hostWriteAll(this.fd, Buffer.concat([head, text, Buffer.from('\n')]));
  }

  /** ReopenContainerLog: later records go to `fd`; the old one is closed. */
  reopen(fd: number): void {
    const old = this.fd;
    this.fd = fd;
    if (old !== undefined) closeFd(old);
  }

  close(): void {
    this.detachAll();
    if (this.fd !== undefined) closeFd(this.fd);
    this.fd = undefined;
  }
}

/** One stream (stdout or stderr) of a container writing into its CriLog. */
export class CriLogFile extends FileDescriptionBase {
  private pending = Buffer.alloc(0);

  constructor(
    private readonly log: CriLog,
    private readonly stream: Stream,
  ) {
    super(`pipe:[${stream}]`, O.WRONLY);
  }

  read(): number {
    return fail('EBADF', 'container log stream is write-only');
  }

  pread(): number {
    return fail('ESPIPE');
  }

  write(src: Buffer): number {
    this.log.tee(this.stream, src);
    let data = this.pending.length ? Buffer.concat([this.pending, src]) : src;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10)) {
      this.emit(data.subarray(0, nl), 'F');
      data = data.subarray(nl + 1);
    }
    while (data.length >= MAX_LINE) {
      this.emit(data.subarray(0, MAX_LINE), 'P');
      data = data.subarray(MAX_LINE);
    }
    this.pending = Buffer.from(data);
    return src.length;
  }

  /** Records longer than MAX_LINE are split (a full line may be a run of P records ending in F). */
  private emit(line: Buffer, tag: 'F' | 'P'): void {
    for (; line.length > MAX_LINE; line = line.subarray(MAX_LINE)) this.log.record(this.stream, 'P', line.subarray(0, MAX_LINE));
    this.log.record(this.stream, tag, line);
  }

  pwrite(): number {
    return fail('ESPIPE');
  }

  seek(): number {
    return fail('ESPIPE');
  }

  /** Apps see a pipe, as they would under containerd. */
  stat(): Stat {
    return {
      dev: 12, ino: this.stream === 'stdout' ? 1 : 2, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0,
      size: 0, blksize: 4096, blocks: 0, atime: EPOCH, mtime: EPOCH, ctime: EPOCH,
    };
  }

  /** Writes out a last line that has no newline (the stream ended). */
  flush(): void {
    if (this.pending.length) this.emit(this.pending, 'F');
    this.pending = Buffer.alloc(0);
  }

  protected override release(): void {
    this.flush();
  }
}
