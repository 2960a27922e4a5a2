import { X_OK } from '../abi/linux/fs';
import type { Credentials } from '../kernel/creds';
import { fail } from '../errors/linuxerr';
import type { Stat } from './file';
import { isDir } from './inode';

/**
 * Whether `creds` may access a file with `st` for `want` (R_OK|W_OK|X_OK),
 * by the classic owner/group/other bits (no ACLs). uid 0 has
 * CAP_DAC_OVERRIDE: everything except executing a file with no x bit.
 * `real` checks the real ids (access(2) without AT_EACCESS).
 */
export function mayAccess(creds: Credentials, st: Stat, want: number, real = false): boolean {
  const uid = real ? creds.uid : creds.euid;
  const gid = real ? creds.gid : creds.egid;
  if (uid === 0) return !(want & X_OK) || isDir(st.mode) || (st.mode & 0o111) !== 0;
  let bits: number;
  if (st.uid === uid) bits = (st.mode >> 6) & 7;
  else if (st.gid === gid || creds.groups.includes(st.gid)) bits = (st.mode >> 3) & 7;
  else bits = st.mode & 7;
  return (want & bits) === want;
}

/** Throws EACCES unless mayAccess. */
export function checkAccess(creds: Credentials, st: Stat, want: number, what: string): void {
  if (!mayAccess(creds, st, want)) fail('EACCES', what);
}

/** The file's owner (or root) may change its mode and times. */
export function isOwnerOrRoot(creds: Credentials, st: Stat): boolean {
  return creds.euid === 0 || creds.euid === st.uid;
}
