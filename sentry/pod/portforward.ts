/**
 * Port-forward connections of the pod (kubectl port-forward), the way
 * gVisor does them: through the sandbox's own network stack, never the
 * host's. Each connection is a TCP socket of the kernel's network mode
 * (the sandbox stack's; in `host` mode a host socket in the Sentry's
 * network namespace, where the app's sockets are too) connected to
 * 127.0.0.1:PORT (so a server in the pod listening on 0.0.0.0 or
 * 127.0.0.1 is reached) joined to one host stream socket the CRI server
 * passed.
 *
 * Everything runs in the scheduler loop and nothing waits: the host
 * socket is non-blocking and watched through hostWaiters (POLLIN while we
 * want its bytes, POLLOUT while bytes for it are held back), the endpoint
 * through its wait queue. Either wakes `kick`, which only schedules a pump
 * on the kernel's timers (wait-queue callbacks run inside the stack's
 * processing and must not call back into the endpoint). Each direction
 * holds at most one chunk in flight, so a slow side stops the other from
 * reading: the buffering is the stack's and the host socket's.
 *
 * Half-close both ways: EOF from the host becomes shutdown(SHUT_WR) of
 * the endpoint (the server reads EOF), EOF from the server becomes
 * shutdown(SHUT_WR) of the host socket. The connection ends when both
 * directions ended, or at once on an error on either side (the other side
 * is closed: the server sees FIN, or RST if data was left unread; the CRI
 * server sees EOF).
 */
import { Errno } from '../abi/linux/errno';
import { POLL } from '../abi/linux/poll';
import type { ReplyBody } from '../control/protocol';
import { isLinuxError, LinuxError } from '../errors/linuxerr';
import { HostWaiter, hostWaiters } from '../kernel/hostwait';
import type { Kernel } from '../kernel/kernel';
import { monotonicNs, TimerHandle } from '../kernel/timers';
import { WaitQueue } from '../kernel/wait';
import type { InetSocket } from '../fsimpl/socket/inet';
import { newInetSocket } from '../fsimpl/socket/inet_create';
import { unixNamespace } from '../fsimpl/socket/namespace';
import { IPPROTO } from '../abi/linux/inet';
import { SHUT, SOCK } from '../abi/linux/socket';
import type { Waiting } from '../fsimpl/socket/waiting';
import { closeFd } from '../platform/host/fdio';
import { hostPoll, hostRead, hostSetNonblocking, hostWriteNow } from '../platform/host/hostfd';
import { HostError } from '../platform/host/libc';
import { hostShutdown } from '../platform/host/hostsocket';

const LOOPBACK = 0x7f000001;
/** Bytes moved per read on either side. */
const CHUNK = 64 * 1024;
/**
 * A connect that neither succeeds nor fails (a listener whose backlog is
 * full drops SYNs) is given up after this, before the CRI server's own
 * request timeout (30 s).
 */
const CONNECT_TIMEOUT_NS = 20_000_000_000n;
/** Every socket call here must answer at once: this runs in the scheduler loop. */
const NOWAIT: Waiting = { nonblock: true };
const STREAM_READ = { peek: false, waitAll: false };

/** One forwarded connection. */
class Forward {
  private connecting = true;
  private closed = false;
  private connectTimer: TimerHandle | undefined;
  private pumpTimer: TimerHandle | undefined;
  private readonly readable: HostWaiter;
  private readonly writable: HostWaiter;
  /** No events: poll reports only POLLHUP/POLLERR, i.e. the CRI server closed its end (not just half-closed it). */
  private readonly hangup: HostWaiter;
  /** Bytes read from the host that the endpoint has not taken yet. */
  private toSandbox: Buffer | undefined;
  /** Bytes read from the endpoint that the host socket has not taken yet. */
  private toHost: Buffer | undefined;
  private hostEof = false;
  private sandboxEof = false;
  private sandboxWriteShut = false;
  private hostWriteShut = false;
  private readonly kick = (): void => {
    if (this.closed || this.pumpTimer) return;
    this.pumpTimer = this.kernel.timers.schedule(monotonicNs(), () => {
      this.pumpTimer = undefined;
      this.step();
    });
  };

  constructor(
    private readonly kernel: Kernel,
    private readonly sock: InetSocket,
    private readonly port: number,
    private readonly hostFd: number,
    private answer: ((r: ReplyBody) => void) | undefined,
    private readonly onClose: (f: Forward) => void,
  ) {
    this.readable = { fd: hostFd, events: POLL.IN, queue: new WaitQueue() };
    this.writable = { fd: hostFd, events: POLL.OUT, queue: new WaitQueue() };
    this.hangup = { fd: hostFd, events: 0, queue: new WaitQueue() };
    for (const w of [this.readable, this.writable, this.hangup]) w.queue.add(this.kick);
    this.sock.waitQueue.add(this.kick);
  }

  /** Sends the SYN; the outcome is answered from `step` (an immediate failure, at once). */
  open(): void {
    try {
      hostSetNonblocking(this.hostFd);
      this.sock.connect({ addr: LOOPBACK, port: this.port }, NOWAIT);
      this.connected();
    } catch (e) {
      if (!isLinuxError(e, 'EINPROGRESS')) return this.fail(e);
      this.connectTimer = this.kernel.timers.schedule(monotonicNs() + CONNECT_TIMEOUT_NS, () => {
        this.connectTimer = undefined;
        this.fail(new LinuxError(Errno.ETIMEDOUT));
      });
      // A host socket's loopback handshake may be over already: its readiness changed before anyone watched.
      this.kick();
    }
  }

  private step(): void {
    if (this.closed) return;
    if (this.connecting) {
      if (!(this.sock.readiness() & (POLL.OUT | POLL.ERR | POLL.HUP))) return;
      try {
        this.sock.connect({ addr: LOOPBACK, port: this.port }, NOWAIT); // the second call reports the outcome
      } catch (e) {
        if (!isLinuxError(e, 'EALREADY')) this.fail(e);
        return;
      }
      this.connected();
      return;
    }
    try {
      this.hostToSandbox();
      this.sandboxToHost();
    } catch (e) {
      this.fail(e);
      return;
    }
    if (this.sandboxWriteShut && this.hostWriteShut) return this.close();
    // A host side gone for good will send nothing nor take anything: do not wait on the server for it.
    if (this.hostEof) {
      if (hostPoll([this.hangup], 0)[0] & (POLL.HUP | POLL.ERR)) return this.close();
      this.watch(this.hangup, true);
    }
  }

  private connected(): void {
    this.connecting = false;
    if (this.connectTimer) this.kernel.timers.cancel(this.connectTimer);
    this.connectTimer = undefined;
    this.reply({ ok: true });
    this.kick();
  }

  /** Host socket → endpoint, until one of them would block. */
  private hostToSandbox(): void {
    for (;;) {
      if (!this.toSandbox) {
        if (this.hostEof || hostPoll([this.readable], 0)[0] === 0) break;
        const buf = Buffer.allocUnsafe(CHUNK);
        const n = hostRead(this.hostFd, buf); // ready, so it does not wait
        if (n === 0) {
          this.hostEof = true;
          break;
        }
        this.toSandbox = buf.subarray(0, n);
      }
      let n: number;
      try {
        n = this.sock.send(this.toSandbox, undefined, NOWAIT); // the socket keeps what it takes: never reuse `buf`
      } catch (e) {
        if (isLinuxError(e, 'EAGAIN')) break;
        throw e;
      }
      this.toSandbox = n < this.toSandbox.length ? this.toSandbox.subarray(n) : undefined;
    }
    if (this.hostEof && !this.toSandbox && !this.sandboxWriteShut) {
      this.sock.shutdown(SHUT.WR);
      this.sandboxWriteShut = true;
    }
    this.watch(this.readable, !this.hostEof && !this.toSandbox);
  }

  /** Endpoint → host socket, until one of them would block. */
  private sandboxToHost(): void {
    for (;;) {
      if (!this.toHost) {
        if (this.sandboxEof) break;
        let data: Buffer;
        try {
          // The received bytes live in a buffer the next receive reuses: keep a copy.
          data = Buffer.concat(this.sock.recv(CHUNK, STREAM_READ, NOWAIT).parts);
        } catch (e) {
          if (isLinuxError(e, 'EAGAIN')) break;
          throw e;
        }
        if (data.length === 0) {
          this.sandboxEof = true;
          break;
        }
        this.toHost = data;
      }
      const n = hostWriteNow(this.hostFd, this.toHost);
      if (n === undefined) break;
      this.toHost = n < this.toHost.length ? this.toHost.subarray(n) : undefined;
    }
    if (this.sandboxEof && !this.toHost && !this.hostWriteShut) {
      hostShutdown(this.hostFd, SHUT.WR);
      this.hostWriteShut = true;
    }
    this.watch(this.writable, this.toHost !== undefined);
  }

  /** Registers a host waiter while it is wanted (a readable fd left unread would keep the idle loop spinning). */
  private watch(w: HostWaiter, wanted: boolean): void {
    if (wanted) hostWaiters.add(w);
    else hostWaiters.delete(w);
  }

  private reply(r: ReplyBody): void {
    const answer = this.answer;
    this.answer = undefined;
    answer?.(r);
  }

  /** Ends the connection on an error: before it was up, the error is the request's answer. */
  private fail(e: unknown): void {
    // Anything else is a bug here: it ends this connection, not the pod.
    const what = e instanceof HostError ? `host socket: ${e.message}` : e instanceof Error ? e.message : String(e);
    this.kernel.debug(`port-forward to 127.0.0.1:${this.port}: ${what}`);
    this.reply({ ok: false, error: `port-forward to 127.0.0.1:${this.port} in the pod: ${what}` });
    this.close();
  }

  /** Releases everything; the endpoint closes gracefully (RST if data is left unread, as close(2)). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reply({ ok: false, error: `port-forward to 127.0.0.1:${this.port} in the pod: the pod is shutting down` });
    if (this.connectTimer) this.kernel.timers.cancel(this.connectTimer);
    if (this.pumpTimer) this.kernel.timers.cancel(this.pumpTimer);
    for (const w of [this.readable, this.writable, this.hangup]) hostWaiters.delete(w);
    this.sock.waitQueue.remove(this.kick);
    this.sock.decRef();
    closeFd(this.hostFd);
    this.onClose(this);
  }
}

/** The pod's open port-forward connections. */
export class PortForwards {
  private readonly open = new Set<Forward>();

  constructor(private readonly kernel: Kernel) {}

  /**
   * Connects to 127.0.0.1:`port` in the sandbox for the host stream socket
   * `hostFd` (owned from now on); `answer` gets the outcome once known.
   */
  connect(port: number, hostFd: number, answer: (r: ReplyBody) => void): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      closeFd(hostFd);
      answer({ ok: false, error: `port-forward: invalid port ${port}` });
      return;
    }
    let sock: InetSocket;
    try {
      const ns = unixNamespace(this.kernel);
      sock = newInetSocket(this.kernel, SOCK.STREAM, IPPROTO.TCP, true, { dev: ns.dev, ino: ns.allocIno(), uid: 0, gid: 0 });
    } catch (e) {
      closeFd(hostFd);
      answer({ ok: false, error: `port-forward: no socket: ${(e as Error).message}` });
      return;
    }
    const f = new Forward(this.kernel, sock, port, hostFd, answer, (done) => this.open.delete(done));
    this.open.add(f);
    f.open();
  }

  get size(): number {
    return this.open.size;
  }

  /** Closes every connection (the pod is shutting down). */
  closeAll(): void {
    for (const f of [...this.open]) f.close();
  }
}
