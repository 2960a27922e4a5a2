/**
 * Privilege drop for the Sentry once its Gofer and first stub exist. The
 * Sentry needs no capabilities to trace its stubs, only the same uid, so
 * both switch to an unprivileged uid: Linux clears every capability of a
 * process whose uids all leave 0, and glibc applies set*id to all Node
 * threads (capset alone would only change the calling thread). The PID
 * namespace the CLI starts the Sentry in keeps other sandboxes' stubs,
 * which share the uid, out of reach.
 */
import koffi from './koffi';
import { errno, HostError } from './libc';

const libc = koffi.load('libc.so.6');
const setgroups = libc.func('int setgroups(size_t size, void *list)');
const setresgid = libc.func('int setresgid(unsigned int r, unsigned int e, unsigned int s)');
const setresuid = libc.func('int setresuid(unsigned int r, unsigned int e, unsigned int s)');
const geteuid = libc.func('unsigned int geteuid()');
const prctl = libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');

const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;

/** The uid/gid sandboxes run as on the host (nobody/nogroup). */
export const SANDBOX_UID = 65534;
export const SANDBOX_GID = 65534;

/** True when the process can (and so must) drop privileges. */
export function isRoot(): boolean {
  return (geteuid() as number) === 0;
}

export function dropPrivileges(): void {
  if (!isRoot()) return;
  if ((setgroups(0, null) as number) !== 0) throw new HostError('setgroups', errno());
  if ((setresgid(SANDBOX_GID, SANDBOX_GID, SANDBOX_GID) as number) !== 0) throw new HostError('setresgid', errno());
  if ((setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID) as number) !== 0) throw new HostError('setresuid', errno());
  // A credential change clears the parent-death signal the CLI's unshare set: restore it,
  // so killing `tsvisor do` still takes the Sentry (and with it the sandbox) down.
  if ((prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) as number) !== 0) throw new HostError('PR_SET_PDEATHSIG', errno());
}
