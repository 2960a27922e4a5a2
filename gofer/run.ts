/**
 * The Gofer's main (gofer/main.ts loads it through the start-up cache):
 * `node main.js --root DIR --fd N [--ro]` serves 9P2000.L on the inherited,
 * connected unix socket fd N. Once every module is loaded it chroots into
 * DIR, so even a path-check bug cannot reach host files; it exits when the
 * socket closes. After 2 s without requests it collects garbage and trims
 * malloc, 5 s later it gives back its young generation
 * (sentry/kernel/idlegc.ts), once each per quiet spell.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { collectGarbage, idleTimer } from '../sentry/kernel/idlegc';
import { chdir, chroot } from './host/libc';
import { serve } from './serve';
import { GoferServer } from './server';

export function main(): void {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      fd: { type: 'string' },
      ro: { type: 'boolean', default: false },
    },
  });
  const fd = Number(values.fd);
  if (!values.root || !Number.isInteger(fd) || fd < 0) {
    process.stderr.write('usage: gofer --root DIR --fd N [--ro]\n');
    process.exit(2);
  }
  chroot(path.resolve(values.root));
  chdir('/');
  // The Sentry applies the application's umask; modes arrive final.
  process.umask(0);
  // Requests come in bursts (a container starting, a build), then often nothing for hours.
  const worked = idleTimer((phase) => collectGarbage(phase));
  serve(fd, new GoferServer({ root: '/', readOnly: values.ro === true }), () => process.exit(0), worked);
}
