/**
 * The Gofer's main (gofer/main.ts loads it through the start-up cache).
 *   node main.js --root DIR --fd N [--ro]
 * serves 9P2000.L for DIR on the inherited, connected unix socket fd N;
 *   node main.js --tree FD:ro|rw:DIR [--tree ...]
 * serves several trees (a container's root and its mounts), each on its own
 * socket and with its own read-only flag, from one process. Once every
 * module is loaded it chroots: into DIR, or into a staging directory that
 * holds only the trees (gofer/stage.ts), so even a path-check bug cannot
 * reach host files. It exits when every socket has closed. After 2 s
 * without requests it collects garbage and trims malloc, 5 s later it gives
 * back its young generation (sentry/kernel/idlegc.ts), once each per quiet
 * spell.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { finishCacheTraining } from '../cli/startcache';
import { collectGarbage, IdleCollector } from '../sentry/kernel/idlegc';
import { chdir, chroot } from './host/libc';
import { serveAll } from './serve';
import { GoferServer } from './server';
import type { GoferTree } from './launch';
import { chrootIntoTrees } from './stage';

const USAGE = 'usage: gofer --root DIR --fd N [--ro] | gofer --tree FD:ro|rw:DIR [--tree FD:ro|rw:DIR ...]\n';

interface Served extends GoferTree {
  fd: number;
}

/** `--tree FD:ro|rw:DIR` (DIR last: it may hold colons). */
export function parseTree(arg: string): Served | undefined {
  const m = /^(\d+):(ro|rw):(\/.*)$/.exec(arg);
  return m ? { fd: Number(m[1]), readOnly: m[2] === 'ro', root: m[3] } : undefined;
}

function parseServed(): Served[] | undefined {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      fd: { type: 'string' },
      ro: { type: 'boolean', default: false },
      tree: { type: 'string', multiple: true },
    },
  });
  if (values.tree) {
    if (values.root !== undefined || values.fd !== undefined || values.ro) return undefined;
    const trees = values.tree.map(parseTree);
    return trees.every((t) => t !== undefined) ? (trees as Served[]) : undefined;
  }
  const fd = Number(values.fd);
  if (!values.root || !Number.isInteger(fd) || fd < 0) return undefined;
  return [{ fd, root: values.root, readOnly: values.ro === true }];
}

export function main(): void {
  const served = parseServed();
  if (!served || served.length === 0) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  let roots: string[];
  if (served.length === 1) {
    chroot(path.resolve(served[0].root));
    chdir('/');
    roots = ['/'];
  } else {
    roots = chrootIntoTrees(served);
  }
  // The Sentry applies the application's umask; modes arrive final.
  process.umask(0);
  // Requests come in bursts (a container starting, a build), then often nothing for hours.
  const idle = new IdleCollector((phase) => collectGarbage(phase));
  serveAll(served.map((t, i) => ({ fd: t.fd, server: new GoferServer({ root: roots[i], readOnly: t.readOnly }) })), idle);
  finishCacheTraining();
  process.exit(0);
}
