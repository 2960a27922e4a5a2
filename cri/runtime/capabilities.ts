/**
 * A container's capability sets from its CRI security context, with
 * containerd's rules: the default set below, then "ALL" added or dropped,
 * then each named capability added, then each named one dropped (names
 * without the CAP_ prefix, any case). Bounding, permitted and effective
 * get the result; inheritable stays empty (as containerd since its
 * CVE-2022-24769 fix) except for ambient capabilities, which go into both
 * the inheritable and the ambient set. The Sentry turns these into the
 * process's virtual capabilities; exec then applies Linux's rules (a
 * non-root user keeps only the ambient ones).
 */
import { CAP_NAMES } from '../../sentry/abi/linux/capability';
import type { CapNameSets } from '../../sentry/kernel/capabilities';
import type * as t from '../proto/types';
import { invalidArgument } from '../server/errors';

/** containerd's default for unprivileged containers (and Docker's). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const ALL = CAP_NAMES.map((n) => `CAP_${n}`);

/** "net_admin" → "CAP_NET_ADMIN"; an unknown name is refused rather than silently not granted. */
function capName(name: string): string {
  const full = `CAP_${name.toUpperCase().replace(/^CAP_/, '')}`;
  if (!ALL.includes(full)) throw invalidArgument(`unknown capability ${JSON.stringify(name)}`);
  return full;
}

const isAll = (name: string): boolean => name.toUpperCase() === 'ALL';

export function capabilitiesOf(caps: t.Capability | null | undefined): CapNameSets {
  let set = new Set(DEFAULT_CAPABILITIES);
  const add = caps?.add_capabilities ?? [];
  const drop = caps?.drop_capabilities ?? [];
  if (add.some(isAll)) set = new Set(ALL);
  if (drop.some(isAll)) set.clear();
  for (const n of add.filter((n) => !isAll(n))) set.add(capName(n));
  for (const n of drop.filter((n) => !isAll(n))) set.delete(capName(n));
  const ambient = (caps?.add_ambient_capabilities ?? []).map(capName);
  for (const n of ambient) {
    if (!set.has(n)) throw invalidArgument(`ambient capability ${n} is not in the container's capability set`);
  }
  const granted = ALL.filter((n) => set.has(n));
  return { bounding: granted, effective: granted, permitted: granted, inheritable: ambient, ambient };
}
