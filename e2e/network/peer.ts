/**
 * Helpers shared by the network e2e tests: files to transfer, waiting for a
 * server to accept, HTTP transfers with curl and python's http.server on
 * either side.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../syscalls/fixtures';
import { freshDir } from '../syscalls/harness';
import type { NetLab } from './netns';
import { PY } from './sandbox';

export const CURL = '/usr/bin/curl';
export const BUSYBOX = '/bin/busybox';

/** A folder holding one file of `size` random bytes. */
export function randomFile(size: number): { dir: string; name: string; sha256: string } {
  const dir = freshDir('www');
  const data = randomBytes(size);
  writeFileSync(join(dir, 'blob'), data);
  return { dir, name: 'blob', sha256: sha256Hex(data) };
}

export function sha256File(file: string): string {
  return sha256Hex(readFileSync(file));
}

/** Connects from `ns` to addr:port until a connection is accepted (a server starting, an address moving). */
export async function waitForTcp(lab: NetLab, ns: string | undefined, addr: string, port: number, timeoutMs = 30_000): Promise<void> {
  const probe = `
import socket, sys, time
deadline = time.time() + ${timeoutMs / 1000}
while True:
    try:
        socket.create_connection(('${addr}', ${port}), timeout=1).close()
        sys.exit(0)
    except OSError as e:
        if time.time() > deadline:
            print(e)
            sys.exit(1)
        time.sleep(0.05)
`;
  const r = await lab.exec(ns, [PY, '-c', probe], timeoutMs + 10_000);
  assert.equal(r.code, 0, `nothing accepted on ${addr}:${port} from ${ns ?? 'the root namespace'}: ${r.stdout}${r.stderr}`);
}

/** argv of python's http.server on addr:port serving `dir`. */
export function httpServerArgv(addr: string, port: number, dir: string): string[] {
  return [PY, '-m', 'http.server', String(port), '--bind', addr, '--directory', dir];
}

/** argv of curl downloading `url` to `out` (fails on HTTP errors). */
export function curlArgv(url: string, out: string): string[] {
  return [CURL, '-sS', '--fail', '--max-time', '120', '-o', out, url];
}

/** MB/s for `bytes` in `ms`, for the logs. */
export function rate(bytes: number, ms: number): string {
  return `${(bytes / (1 << 20) / (ms / 1000)).toFixed(1)} MB/s`;
}
