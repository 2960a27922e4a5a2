/**
 * Gofer process entry: `node main.js --root DIR --fd N [--ro]` (see
 * run.ts). Its modules load through the start-up cache (cli/startcache.ts),
 * as the Sentry's do: the Gofer's start is on the path of every sandbox
 * start. The cache is brought up to date before run.ts chroots.
 */
import path from 'node:path';
import { requireCached, saveStartupCache } from '../cli/startcache';

const { main } = requireCached('gofer', path.join(__dirname, 'run.js')) as typeof import('./run');
saveStartupCache();
main();
