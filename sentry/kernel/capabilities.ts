/**
 * Virtual capabilities (capabilities(7)): the five sets of a process and
 * the rules that change them on execve, on uid changes and in capset(2).
 * They are the sandbox's own: a container's process "has" CAP_SYS_ADMIN
 * only inside the Sentry, whose permission checks read them; the host
 * never sees them (the Sentry itself runs with none).
 *
 * Not modelled: file capabilities (security.capability xattrs are never
 * read, so only set-user-ID root raises privileges on exec), securebits
 * other than KEEP_CAPS, user namespaces (every check is against the
 * sandbox's one namespace), and per-thread sets (a process's threads share
 * one set, where Linux keeps them per thread).
 */
import { CAP, CAP_FULL_SET, CAP_NAMES, capBit } from '../abi/linux/capability';

export interface CapSets {
  inheritable: bigint;
  permitted: bigint;
  effective: bigint;
  bounding: bigint;
  ambient: bigint;
}

/** The sets of a process as named lists (the control protocol's form, as in the OCI runtime spec). */
export interface CapNameSets {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable: string[];
  ambient: string[];
}

/**
 * What a process with these ids has on a host with no restrictions: every
 * capability permitted if any id is root, effective if the effective one is.
 */
export function hostCaps(ids: Ids): CapSets {
  const permitted = ids.uid === 0 || ids.euid === 0 || ids.suid === 0 ? CAP_FULL_SET : 0n;
  return { inheritable: 0n, permitted, effective: ids.euid === 0 ? permitted : 0n, bounding: CAP_FULL_SET, ambient: 0n };
}

/** A capability number from "CAP_NET_ADMIN", "NET_ADMIN" or "net_admin"; undefined if unknown. */
export function capNumber(name: string): number | undefined {
  const bare = name.toUpperCase().replace(/^CAP_/, '');
  const i = (CAP_NAMES as readonly string[]).indexOf(bare);
  return i < 0 ? undefined : i;
}

/** A set from names; throws on an unknown name (a runtime must not silently grant less). */
export function capSetOf(names: string[]): bigint {
  let set = 0n;
  for (const n of names) {
    const cap = capNumber(n);
    if (cap === undefined) throw new Error(`unknown capability ${JSON.stringify(n)}`);
    set |= capBit(cap);
  }
  return set;
}

/** Names ("CAP_CHOWN", …) of the capabilities in a set, in number order. */
export function capNames(set: bigint): string[] {
  return CAP_NAMES.filter((_, i) => (set & capBit(i)) !== 0n).map((n) => `CAP_${n}`);
}

/**
 * Sets from their named form. Ambient capabilities must also be permitted
 * and inheritable (Linux keeps that invariant), so the others drop out.
 */
export function capSetsOf(n: CapNameSets): CapSets {
  const s = {
    bounding: capSetOf(n.bounding), effective: capSetOf(n.effective), permitted: capSetOf(n.permitted),
    inheritable: capSetOf(n.inheritable), ambient: capSetOf(n.ambient),
  };
  s.effective &= s.permitted;
  s.ambient &= s.permitted & s.inheritable;
  return s;
}

/** A set as /proc/[pid]/status prints it (16 hex digits). */
export const formatCapSet = (set: bigint): string => set.toString(16).padStart(16, '0');

/** The five sets of a /proc/[pid]/status (CapInh … CapAmb lines), or undefined when one is missing. */
export function parseStatusCaps(status: string): CapSets | undefined {
  const get = (key: string): bigint | undefined => {
    const m = new RegExp(`^${key}:\\s*([0-9a-f]+)$`, 'm').exec(status);
    return m ? BigInt(`0x${m[1]}`) : undefined;
  };
  const [inheritable, permitted, effective, bounding, ambient] = ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'].map(get);
  if (inheritable === undefined || permitted === undefined || effective === undefined || bounding === undefined || ambient === undefined) return undefined;
  return { inheritable, permitted, effective, bounding, ambient };
}

const subset = (a: bigint, b: bigint): boolean => (a & ~b) === 0n;

/** The ids the capability rules look at. */
export interface Ids {
  uid: number;
  euid: number;
  suid: number;
}

/**
 * The sets after execve of a file with no file capabilities, for a process
 * whose ids already took the file's set-user-ID/set-group-ID bits
 * (`setId`: they did change an id). capabilities(7): for root (real or
 * effective uid 0) the file's sets count as full, so P'(permitted) =
 * P(inheritable) | P(bounding), effective only when the effective uid is
 * 0; otherwise only the ambient set survives. A set-id exec clears the
 * ambient set. Under no_new_privs a process gains nothing it did not have.
 */
export function capsOnExec(old: CapSets, ids: Ids, setId: boolean, noNewPrivs: boolean): CapSets {
  const ambient = setId ? 0n : old.ambient;
  let permitted = 0n;
  if (ids.euid === 0 || ids.uid === 0) permitted = old.bounding | old.inheritable;
  if (noNewPrivs && !subset(permitted, old.permitted)) permitted &= old.permitted;
  permitted |= ambient;
  return { ...old, ambient, permitted, effective: ids.euid === 0 ? permitted : ambient };
}

/**
 * AT_SECURE for the new image: a set-id exec, or a non-root process that
 * gained capabilities beyond its ambient set.
 */
export function secureExec(ids: Ids & { gid: number; egid: number }, caps: CapSets): boolean {
  return ids.euid !== ids.uid || ids.egid !== ids.gid || (ids.uid !== 0 && !subset(caps.permitted, caps.ambient));
}

/**
 * capabilities(7), "Effect of user ID changes on capabilities": leaving
 * uid 0 in all three ids clears permitted, effective (unless keepCaps) and
 * ambient; the effective uid leaving 0 clears effective; coming back to 0
 * copies permitted into effective.
 */
export function capsOnUidChange(caps: CapSets, old: Ids, now: Ids, keepCaps: boolean): CapSets {
  const next = { ...caps };
  const anyRoot = (i: Ids) => i.uid === 0 || i.euid === 0 || i.suid === 0;
  if (anyRoot(old) && !anyRoot(now)) {
    if (!keepCaps) {
      next.permitted = 0n;
      next.effective = 0n;
    }
    next.ambient = 0n;
  }
  if (old.euid === 0 && now.euid !== 0) next.effective = 0n;
  if (old.euid !== 0 && now.euid === 0) next.effective = next.permitted;
  return next;
}

/**
 * capset(2)'s rules (security/commoncap.c cap_capset): the new inheritable
 * set stays within the old inheritable and permitted sets (unless
 * CAP_SETPCAP is effective) and the bounding set; permitted can only
 * shrink; effective within the new permitted. Returns the new sets, or
 * undefined when the change is not allowed (EPERM). Ambient capabilities
 * no longer both permitted and inheritable are dropped.
 */
export function capsOnCapset(old: CapSets, want: { effective: bigint; permitted: bigint; inheritable: bigint }): CapSets | undefined {
  const setpcap = (old.effective & capBit(CAP.SETPCAP)) !== 0n;
  if (!setpcap && !subset(want.inheritable, old.inheritable | old.permitted)) return undefined;
  if (!subset(want.inheritable, old.inheritable | old.bounding)) return undefined;
  if (!subset(want.permitted, old.permitted)) return undefined;
  if (!subset(want.effective, want.permitted)) return undefined;
  return { ...old, ...want, ambient: old.ambient & want.permitted & want.inheritable };
}
