import { CAP, capBit } from '../abi/linux/capability';
import { R_OK, W_OK, X_OK } from '../abi/linux/fs';
import type { Credentials } from '../kernel/creds';
import { fail } from '../errors/linuxerr';
import type { Stat } from './file';
import { isDir } from './inode';

/**
 * Whether `creds` may access a file with `st` for `want` (R_OK|W_OK|X_OK),
 * by the classic owner/group/other bits (no ACLs), then the capabilities
 * that override them (generic_permission): CAP_DAC_READ_SEARCH reads any
 * file and searches any directory; CAP_DAC_OVERRIDE does everything but
 * execute a file with no x bit at all.
 * `real` checks the real ids (access(2) without AT_EACCESS), and then, as
 * Linux does, capabilities count only for a real uid 0 (its permitted set).
 */
export function mayAccess(creds: Credentials, st: Stat, want: number, real = false): boolean {
  const uid = real ? creds.uid : creds.euid;
  const gid = real ? creds.gid : creds.egid;
  let bits: number;
  if (st.uid === uid) bits = (st.mode >> 6) & 7;
  else if (st.gid === gid || creds.groups.includes(st.gid)) bits = (st.mode >> 3) & 7;
  else bits = st.mode & 7;
  if ((want & bits) === want) return true;
  const caps = real ? (uid === 0 ? creds.caps.permitted : 0n) : creds.caps.effective;
  const has = (cap: number) => (caps & capBit(cap)) !== 0n;
  const dir = isDir(st.mode);
  if (!(want & W_OK) && (dir || want === R_OK) && has(CAP.DAC_READ_SEARCH)) return true;
  return (dir || !(want & X_OK) || (st.mode & 0o111) !== 0) && has(CAP.DAC_OVERRIDE);
}

/** Throws EACCES unless mayAccess. */
export function checkAccess(creds: Credentials, st: Stat, want: number, what: string): void {
  if (!mayAccess(creds, st, want)) fail('EACCES', what);
}

/** The file's owner (or a holder of CAP_FOWNER) may change its mode and times. */
export function isOwnerOrCapable(creds: Credentials, st: Stat): boolean {
  return creds.euid === st.uid || creds.hasCap(CAP.FOWNER);
}
