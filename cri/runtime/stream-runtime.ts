/**
 * What the streaming server runs: `kubectl exec` / `crictl exec -i[t]` as
 * a process in the pod's Sentry whose stdio are host sockets pumped to and
 * from the client's streams (with a tty: one socket each way, and the
 * Sentry's pty in between), attach to a container's output and stdin,
 * and port-forward: a host socket whose other end the Sentry joins to a
 * connection to 127.0.0.1:PORT on the pod's own network stack.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import { closeFd, socketPair } from '../../sentry/platform/host/fdio';
import type { PassedFd } from '../sandbox/control';
import type { StreamIO, StreamRuntime, TerminalSize } from '../streaming/server';
import { Containers, exitCodeOf } from './containers';
import type { Pods } from './pods';

const SIGKILL = 9;
/**
 * Once the pod's side of a forwarded connection ended, how long the
 * client's side may still send (containerd's grace, after socat's -t): the
 * client (kubectl) closes its side only after the error stream ended,
 * which comes after we return.
 */
const FORWARD_LINGER_MS = 1000;

/** Client stream → our end of a socket whose other end the sandbox reads; closes (EOF) when the client's stream ends. */
function pumpIn(from: Readable, fd: number): void {
  const sock = new net.Socket({ fd, readable: false, writable: true });
  sock.on('error', () => undefined);
  from.pipe(sock);
  from.on('error', () => sock.destroy());
}

/** Our end of a socket the sandbox writes → client stream; `done` resolves at EOF (or once `stop` is called). */
function pumpOut(fd: number, to: Writable | undefined): { done: Promise<void>; stop: () => void } {
  const sock = new net.Socket({ fd, readable: true, writable: false });
  sock.on('error', () => undefined);
  const done = new Promise<void>((resolve) => sock.on('close', () => resolve()));
  if (to) sock.pipe(to, { end: false });
  else sock.resume();
  return { done, stop: () => sock.destroy() };
}

/** How long exec waits for a tty client's first size before starting without one. */
const FIRST_SIZE_MS = 1000;

/** The first size if it comes within FIRST_SIZE_MS (else it is applied as a resize when it comes). */
function firstSize(next: Promise<IteratorResult<TerminalSize>>): Promise<TerminalSize | undefined> {
  const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), FIRST_SIZE_MS).unref());
  return Promise.race([next.then((n) => (n.done ? undefined : n.value)), timeout]);
}

/**
 * Socket pairs whose far ends go to the Sentry: `pair(name)` returns our
 * end; after the request, `sent()` closes our copies of the far ends, and
 * `failed()` our ends too.
 */
function socketPairs(): { fds: PassedFd[]; pair: (name: PassedFd['name']) => number; sent: () => void; failed: () => void } {
  const pairs: Array<[number, number]> = [];
  const fds: PassedFd[] = [];
  return {
    fds,
    pair: (name) => {
      const p = socketPair();
      pairs.push(p);
      fds.push({ name, fd: p[1] });
      return p[0];
    },
    sent: () => pairs.forEach(([, theirs]) => closeFd(theirs)),
    failed: () => pairs.forEach(([ours]) => closeFd(ours)),
  };
}

/**
 * Joins a port-forward stream to our end of the socket the Sentry forwards
 * (each direction half-closes its destination when its source ends).
 * Resolves when both directions ended, when the pod's side ended and the
 * client's went on longer than FORWARD_LINGER_MS, or on an error.
 */
function joinForwarded(stream: Duplex, fd: number): Promise<void> {
  const sock = new net.Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
  return new Promise((resolve) => {
    let podEnded = false;
    let clientEnded = false;
    let linger: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(linger);
      sock.destroy(); // the Sentry sees the hang-up and closes its side
      stream.unpipe(sock);
      resolve();
    };
    const ended = (): void => {
      if (podEnded && clientEnded) done();
      else if (podEnded) linger ??= setTimeout(done, FORWARD_LINGER_MS);
    };
    sock.on('end', () => {
      podEnded = true;
      ended();
    });
    sock.on('finish', () => {
      clientEnded = true;
      ended();
    });
    sock.on('error', done);
    stream.on('error', done);
    stream.on('close', done);
    sock.pipe(stream);
    stream.pipe(sock);
  });
}

export class SandboxStreams implements StreamRuntime {
  constructor(
    private readonly containers: Containers,
    private readonly pods: Pods,
  ) {}

  async exec(containerId: string, cmd: string[], io: StreamIO): Promise<{ exitCode: number }> {
    const { fds, pair, sent, failed } = socketPairs();
    // A terminal always needs its input end, even when the client sends nothing.
    const stdin = io.stdin || io.tty ? pair('stdin') : undefined;
    const stdout = pair('stdout');
    const stderr = io.tty ? undefined : pair('stderr');
    // The client sends its terminal's size first: start the command with it, so it never sees 0x0.
    const sizes = io.resize[Symbol.asyncIterator]();
    let pending = sizes.next();
    const first = io.tty ? await firstSize(pending) : undefined;
    if (first) pending = sizes.next();
    let run;
    try {
      run = await this.containers.startExec(containerId, cmd, io.tty, fds, first && { rows: first.height, cols: first.width });
    } catch (e) {
      failed();
      throw e;
    } finally {
      sent();
    }
    if (stdin !== undefined) {
      if (io.stdin) pumpIn(io.stdin, stdin);
      else closeFd(stdin);
    }
    const outputs = [pumpOut(stdout, io.stdout).done, stderr === undefined ? Promise.resolve() : pumpOut(stderr, io.stderr).done];
    if (run.failed) io.stderr?.write(`${run.failed.message}\n`);
    const onAbort = (): void => void run.signal(SIGKILL);
    io.signal.addEventListener('abort', onAbort);
    void (async () => {
      for (let n = await pending; !n.done; n = await sizes.next()) await run.resize(n.value.height, n.value.width);
    })();
    try {
      const status = await run.exited;
      await Promise.all(outputs);
      return { exitCode: exitCodeOf(status) };
    } finally {
      io.signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * crictl/kubectl attach: the container's output from now on, and its
   * stdin (config stdin) from the client; with stdin_once the container's
   * stdin ends with the first client's. Resolves when the container exits
   * or the client goes.
   */
  async attach(containerId: string, io: StreamIO): Promise<void> {
    const { fds, pair, sent, failed } = socketPairs();
    const stdout = io.stdout ? pair('stdout') : undefined;
    const stderr = io.stderr ? pair('stderr') : undefined;
    let c;
    try {
      c = await this.containers.attach(containerId, fds);
    } catch (e) {
      failed();
      throw e;
    } finally {
      sent();
    }
    const id = c.id;
    const stdinFd = this.containers.stdin.get(id);
    if (io.stdin && stdinFd !== undefined) {
      // Writes in order; with stdin_once the container's stdin ends after the last one.
      let written = Promise.resolve();
      io.stdin.on('data', (chunk: Buffer) => {
        written = written.then(() => new Promise((r) => fs.write(stdinFd, chunk, () => r())));
      });
      io.stdin.on('end', () => void written.then(() => c.config.stdin_once && this.containers.closeStdin(id)));
    }
    void (async () => {
      for await (const size of io.resize) await this.containers.resize(id, size.height, size.width);
    })();
    const pumps = [stdout, stderr].flatMap((fd, i) => (fd === undefined ? [] : [pumpOut(fd, i === 0 ? io.stdout : io.stderr)]));
    const aborted = new Promise<void>((r) => io.signal.addEventListener('abort', () => r()));
    const ended = pumps.length ? Promise.all(pumps.map((p) => p.done)).then(() => undefined) : this.containers.waitExit(id).then(() => undefined);
    await Promise.race([ended, aborted]);
    // A client that went away: the Sentry drops its sockets at its next write.
    for (const p of pumps) p.stop();
  }

  /**
   * kubectl port-forward: the Sentry connects to 127.0.0.1:`port` inside the
   * pod (its own stack; the host's network is never used) and answers only
   * once connected, so a refused port rejects here, which the streaming
   * server reports on the pair's error stream.
   */
  async portForward(podSandboxId: string, port: number, stream: Duplex): Promise<void> {
    const { fds, pair, sent, failed } = socketPairs();
    const ours = pair('stream');
    try {
      await this.pods.sentry(podSandboxId).request({ op: 'portForward', port }, fds);
    } catch (e) {
      failed();
      throw e;
    } finally {
      sent();
    }
    await joinForwarded(stream, ours);
  }
}
