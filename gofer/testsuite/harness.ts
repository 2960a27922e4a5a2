/**
 * Test harness: a temporary tree with a root served by a real Gofer (via
 * startGofer) and a secret file outside it, plus helpers to assert errno
 * and to check the Gofer process has gone.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrnoName } from '../../sentry/abi/linux/errno';
import { isLinuxError } from '../../sentry/errors/linuxerr';
import { P9Client } from '../../sentry/fsimpl/gofer/client';
import { startGofer } from '../launch';

export const BIG_SIZE = 3 * 1024 * 1024 + 123;

/** Deterministic, non-repeating-per-MiB bytes so misplaced chunks are caught. */
export function pattern(size: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export interface Tree {
  top: string;
  root: string;
  secret: string;
}

/**
 * root/hello.txt, root/big.bin (3 MiB+), root/dir/{a,b,c}, root/dir/sub/deep.txt,
 * root/empty/, root/fifo, root/rel -> hello.txt, root/abs -> /etc/passwd,
 * root/out -> ../secret.txt, root/dirlink -> dir, root/n/n/…(20 levels)/leaf,
 * and top/secret.txt outside the root.
 */
export function makeTree(): Tree {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'gofer-test-'));
  const root = path.join(top, 'root');
  fs.mkdirSync(path.join(root, 'dir', 'sub'), { recursive: true });
  fs.mkdirSync(path.join(root, 'empty'));
  fs.writeFileSync(path.join(root, 'hello.txt'), 'hello world\n');
  fs.writeFileSync(path.join(root, 'big.bin'), pattern(BIG_SIZE));
  for (const n of ['a', 'b', 'c']) fs.writeFileSync(path.join(root, 'dir', n), n.repeat(10));
  fs.writeFileSync(path.join(root, 'dir', 'sub', 'deep.txt'), 'deep');
  fs.symlinkSync('hello.txt', path.join(root, 'rel'));
  fs.symlinkSync('/etc/passwd', path.join(root, 'abs'));
  fs.symlinkSync('../secret.txt', path.join(root, 'out'));
  fs.symlinkSync('dir', path.join(root, 'dirlink'));
  fs.mkdirSync(path.join(root, ...Array<string>(20).fill('n')), { recursive: true });
  fs.writeFileSync(path.join(root, ...Array<string>(20).fill('n'), 'leaf'), 'leaf');
  execFileSync('mkfifo', [path.join(root, 'fifo')]);
  const secret = path.join(top, 'secret.txt');
  fs.writeFileSync(secret, 'outside the root');
  return { top, root, secret };
}

export function removeTree(t: Tree): void {
  fs.rmSync(t.top, { recursive: true, force: true });
}

export interface Session {
  client: P9Client;
  pid: number;
  rootFid: number;
}

export function open(root: string, readOnly = false, msize?: number): Session {
  const g = startGofer({ root, readOnly });
  const client = P9Client.connect(g.fd, msize);
  return { client, pid: g.pid, rootFid: client.attach('/') };
}

/** True while `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Resolves once `pid` is gone; fails after `ms`. Yields to the event loop so Node reaps the child. */
export async function waitGone(pid: number, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > end) assert.fail(`gofer ${pid} still running`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Closes the client and asserts the Gofer exits. */
export async function closeAndCheck(s: Session): Promise<void> {
  s.client.close();
  await waitGone(s.pid);
}

export function assertErrno(fn: () => unknown, name: ErrnoName): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isLinuxError(e), `expected LinuxError ${name}, got ${String(e)}`);
    assert.equal(e.code, name);
    return true;
  });
}
