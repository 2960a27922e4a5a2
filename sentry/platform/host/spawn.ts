/**
 * posix_spawn(3) of an untraced helper process (the Gofer, through
 * unshare(1)): no fork of the Sentry's Node process and no node:child_process
 * (whose modules, with net and streams, cost `tsvisor do` ~10 ms before its
 * Gofer could start). The child gets exactly the descriptors asked for, at
 * 0..n-1, and nothing else the Sentry has open. It is the caller's child:
 * the Sentry's waitpid(-1) reaps it (platform/ptrace/ptrace.ts waitAny).
 * Stubs are spawned in platform/ptrace/ptrace.ts.
 */
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import path from 'node:path';
import { check, errno, HostError, raw } from './libc';

const EINTR = 4;

/** `name` found on PATH as execvp(3) would find it (a name with a slash is taken as is). */
export function findOnPath(name: string, envPath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string {
  if (name.includes('/')) return name;
  for (const dir of envPath.split(':')) {
    const candidate = path.join(dir || '.', name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new HostError(`posix_spawn ${name}`, 2 /* ENOENT */);
}

/**
 * Starts `file` (searched on PATH) with `argv` (argv[0] first) and this
 * process's environment; child fd i is `fds[i]` ('null' for /dev/null;
 * any other source is stdio at its own index or a descriptor past the last
 * index, so no dup2 overwrites a source still to be used). Returns the pid.
 */
export function spawnHelper(file: string, argv: string[], fds: ReadonlyArray<number | 'null'>): number {
  const exe = findOnPath(file);
  const devNull = fds.includes('null') ? openSync('/dev/null', 'r+') : -1;
  // The dup2s run in order: a source below the last index would be overwritten before its turn.
  const clobbered = fds.map((fd) => (fd === 'null' ? devNull : fd)).find((fd, i) => fd !== i && fd < fds.length);
  if (clobbered !== undefined) {
    if (devNull >= 0) closeSync(devNull);
    throw new Error(`spawnHelper: descriptor ${clobbered} is below ${fds.length}, the child's descriptor count`);
  }
  const actions = Buffer.alloc(512);
  check('posix_spawn_file_actions_init', raw.fileActionsInit(actions) as number);
  try {
    fds.forEach((fd, i) => check('posix_spawn_file_actions_adddup2', raw.fileActionsAddDup2(actions, fd === 'null' ? devNull : fd, i) as number));
    check('posix_spawn_file_actions_addclosefrom_np', raw.fileActionsAddClosefrom(actions, fds.length) as number);
    const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`);
    const pidOut = [0];
    const rc = raw.posixSpawn(pidOut, exe, actions, null, [...argv, null], [...env, null]) as number;
    if (rc !== 0) throw new HostError(`posix_spawn ${exe}`, rc);
    return pidOut[0];
  } finally {
    raw.fileActionsDestroy(actions);
    if (devNull >= 0) closeSync(devNull);
  }
}

/** Blocks until helper `pid` (a child of this process) has exited, and reaps it. */
export function waitForExit(pid: number): void {
  const status = new Int32Array(1);
  while ((raw.waitpid(pid, status, 0) as number) !== pid) {
    if (errno() !== EINTR) throw new HostError('waitpid', errno());
  }
}
