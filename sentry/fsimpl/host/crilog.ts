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
import { hostWrite } from '../../platform/host/hostfd';
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

/** The log file shared by a container's stdout and stderr. */
export class CriLog {
  constructor(private fd: number) {}

  /** Writes one record; the log is best effort: a full disk must not kill the app. */
  record(stream: 'stdout' | 'stderr', tag: 'F' | 'P', text: Buffer): void {
    const head = Buffer.from(`${now()} ${stream} ${tag} `);
    const rec = Buffer.concat([head, text, Buffer.from('\n')]);
    try {
      for (let done = 0; done < rec.length; ) done += host(() => hostWrite(this.fd, rec.subarray(done)));
    } catch {
      /* dropped: nowhere to report it */
    }
  }

  /** ReopenContainerLog: later records go to `fd`; the old one is closed. */
  reopen(fd: number): void {
    const old = this.fd;
    this.fd = fd;
    closeFd(old);
  }

  close(): void {
    closeFd(this.fd);
  }
}

/** One stream (stdout or stderr) of a container writing into its CriLog. */
export class CriLogFile extends FileDescriptionBase {
  private pending = Buffer.alloc(0);

  constructor(
    private readonly log: CriLog,
    private readonly stream: 'stdout' | 'stderr',
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

  protected override release(): void {
    if (this.pending.length) this.emit(this.pending, 'F');
    this.pending = Buffer.alloc(0);
  }
}
