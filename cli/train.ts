/**
 * `node dist/cli/train.js` (the last step of `npm run build`): trains the
 * start-up caches of `tsvisor do`'s Sentry and Gofer (cli/startcache.ts).
 * It runs one sandbox on a small workload of common paths (exec of dynamic
 * programs, fork and wait, pipes, stat, directory listings, file reads,
 * /proc) with TSVISOR_TRAIN_CACHE_DIR set, then renames the caches that run
 * wrote into dist/.cache, so a sandbox starting meanwhile reads either the
 * old file or the new one whole.
 *
 * A plain run comes first: a cache that does not know a module leaves it
 * to Node's require, whose code it cannot save, so after a fresh build the
 * training run would write little more than sources.
 *
 * Training needs what a sandbox needs (root, ptrace); where that is
 * missing it says so and leaves the caches to fill themselves untrained,
 * as before: a slower start, never a failed build.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CACHE_DIR, TRAIN_DIR_ENV } from './startcache';

const TSVISOR = path.resolve(__dirname, '../../bin/tsvisor');
/**
 * A TCP transfer of 4 MiB over the sandbox's loopback: the socket calls,
 * TCP's paths and the waits a networked program uses (their first calls
 * cost a network sandbox ~0.1 s of compiling).
 */
const LOOPBACK_TRANSFER = [
  'import socket, threading',
  "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)",
  "t = threading.Thread(target=lambda: s.accept()[0].makefile('rb').read()); t.start()",
  'c = socket.create_connection(s.getsockname()); c.sendall(bytes(4 << 20)); c.close(); t.join()',
].join('; ');
/** Host programs every supported node has (dash, coreutils); python3 when present. */
const WORKLOAD = [
  'ls -la / /etc >/dev/null',
  'cat /proc/self/status /etc/hostname >/dev/null',
  'echo trained | wc -c >/dev/null',
  'stat / >/dev/null',
  `if command -v python3 >/dev/null; then python3 -c "import json, os; os.listdir('/')" && python3 -c "${LOOPBACK_TRANSFER}"; fi`,
].join(' && ');
const TIMEOUT_MS = 60_000;

/** Runs the training workload; returns the names of the caches moved into `cacheDir`, or why there are none. */
export function trainStartupCaches(cacheDir = CACHE_DIR): { trained: string[] } | { skipped: string } {
  mkdirSync(cacheDir, { recursive: true });
  // Inside the cache directory: the same filesystem, so the final rename is atomic.
  const out = mkdtempSync(path.join(cacheDir, 'training-'));
  const sandbox = (env: NodeJS.ProcessEnv): string | undefined => {
    const r = spawnSync(TSVISOR, ['do', '--', '/bin/sh', '-c', WORKLOAD], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: TIMEOUT_MS });
    return r.status === 0 ? undefined : `a sandbox failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}): ${r.stderr.trim()}`;
  };
  try {
    const failed = sandbox(process.env) ?? sandbox({ ...process.env, [TRAIN_DIR_ENV]: out });
    if (failed !== undefined) return { skipped: failed };
    const trained = readdirSync(out).filter((f) => f.endsWith('.bin'));
    for (const f of trained) renameSync(path.join(out, f), path.join(cacheDir, f));
    return { trained };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const r = trainStartupCaches();
  process.stdout.write('trained' in r ? `tsvisor: trained start-up caches ${r.trained.join(', ')}\n` : `tsvisor: start-up caches left untrained: ${r.skipped}\n`);
}
