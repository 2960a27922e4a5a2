/**
 * NUMA memory policies (kernel/mempolicy.ts) on the sandbox's one node:
 * set_mempolicy(2), get_mempolicy(2) and mbind(2) with Linux's checks and
 * reports. No page ever moves (MPOL_MF_MOVE has nothing to move to);
 * move_pages, migrate_pages and set_mempolicy_home_node are not
 * implemented (ENOSYS).
 */
import { CAP } from '../abi/linux/capability';
import { MPOL, MPOL_GET, MPOL_MF } from '../abi/linux/mempolicy';
import { PAGE_SIZE } from '../abi/linux/mm';
import { fail } from '../errors/linuxerr';
import { encodeNodemask, type MemPolicy, newPolicy, NR_NODE_IDS, ONLINE_NODES, readNodemask, splitMode } from '../kernel/mempolicy';
import type { Task } from '../kernel/task';
import { writeI32 } from '../kernel/usermem';
import type { SyscallArgs } from './args';
import { FamilyRows, partial, supported } from './rows';

/** The policy and nodemask arguments: mode (with its flags) and nodemask, as sanitize_mpol_flags and get_nodes read them. */
function policyArgs(t: Task, mode: number, nmask: number, maxnode: bigint): { mode: number; flags: number; nodes: bigint } {
  const m = splitMode(mode);
  return { ...m, nodes: readNodemask(t.mem, nmask, maxnode) };
}

/** set_mempolicy(2): the calling thread's policy; MPOL_DEFAULT removes it. */
function setMempolicy(t: Task, a: SyscallArgs): number {
  const p = policyArgs(t, a.int(0), a.ptr(1), a.u64(2));
  t.memPolicy = newPolicy(p.mode, p.flags, p.nodes);
  return 0;
}

/**
 * get_mempolicy(2): the thread's policy, or with MPOL_F_ADDR the policy of
 * the area at addr (MPOL_DEFAULT when it has none, EFAULT when unmapped);
 * MPOL_F_NODE the node instead of the mode (0: the node of the page, or
 * the next interleave node; EINVAL for other thread policies);
 * MPOL_F_MEMS_ALLOWED the nodes the caller may use. The nodemask is
 * written for maxnode bits (EINVAL below nr_node_ids).
 */
function getMempolicy(t: Task, a: SyscallArgs): number {
  const [modePtr, nmask, maxnode, addr, flags] = [a.ptr(0), a.ptr(1), a.u64(2), a.ptr(3), a.u64(4)];
  if (nmask !== 0 && maxnode < BigInt(NR_NODE_IDS)) fail('EINVAL', `maxnode ${maxnode}`);
  if (flags & ~BigInt(MPOL_GET.NODE | MPOL_GET.ADDR | MPOL_GET.MEMS_ALLOWED)) fail('EINVAL', 'get_mempolicy flags');
  let mode: number;
  let nodes: bigint;
  if (flags & BigInt(MPOL_GET.MEMS_ALLOWED)) {
    if (flags & BigInt(MPOL_GET.NODE | MPOL_GET.ADDR)) fail('EINVAL', 'MPOL_F_MEMS_ALLOWED with MPOL_F_NODE or MPOL_F_ADDR');
    [mode, nodes] = [0, ONLINE_NODES];
  } else {
    let pol: MemPolicy | undefined;
    let accessible = true;
    if (flags & BigInt(MPOL_GET.ADDR)) ({ policy: pol, accessible } = t.process.mm.policyAt(addr));
    else if (addr !== 0) fail('EINVAL', 'an address without MPOL_F_ADDR');
    else pol = t.memPolicy;
    if (flags & BigInt(MPOL_GET.NODE)) {
      if (flags & BigInt(MPOL_GET.ADDR)) {
        // Linux faults the page in to ask where it is: a PROT_NONE page cannot be.
        if (!accessible) fail('EFAULT', 'get_mempolicy of an inaccessible page');
      } else if (pol?.mode !== MPOL.INTERLEAVE && pol?.mode !== MPOL.WEIGHTED_INTERLEAVE) {
        fail('EINVAL', 'MPOL_F_NODE without MPOL_F_ADDR outside interleaving');
      }
      mode = 0;
    } else {
      mode = (pol?.mode ?? MPOL.DEFAULT) | (pol?.flags ?? 0);
    }
    nodes = pol?.nodes ?? 0n;
  }
  if (modePtr !== 0) writeI32(t.mem, modePtr, mode);
  if (nmask !== 0) t.mem.write(nmask, encodeNodemask(nodes, maxnode));
  return 0;
}

/**
 * mbind(2): the policy of the areas in [addr, addr + len) (page-aligned
 * addr, len rounded up; EFAULT over a hole). MPOL_MF_STRICT, MOVE and
 * MOVE_ALL (which needs CAP_SYS_NICE) succeed: every page is on node 0.
 */
function mbind(t: Task, a: SyscallArgs): number {
  const start = a.ptr(0);
  const len = a.u64(1);
  const p = policyArgs(t, a.int(2), a.ptr(3), a.u64(4));
  const flags = a.uint(5);
  if (flags & ~(MPOL_MF.STRICT | MPOL_MF.MOVE | MPOL_MF.MOVE_ALL)) fail('EINVAL', 'mbind flags');
  if (flags & MPOL_MF.MOVE_ALL && !t.process.creds.hasCap(CAP.SYS_NICE)) fail('EPERM', 'MPOL_MF_MOVE_ALL needs CAP_SYS_NICE');
  if (start % PAGE_SIZE !== 0) fail('EINVAL', 'mbind address not page aligned');
  const end = BigInt(start) + ((len + BigInt(PAGE_SIZE - 1)) & ~BigInt(PAGE_SIZE - 1));
  if (end >= 1n << 64n) fail('EINVAL', 'mbind range wraps');
  if (end === BigInt(start)) return 0;
  const policy = newPolicy(p.mode, p.flags, p.nodes);
  t.process.mm.setPolicy(start, end > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(end), policy);
  return 0;
}

export const mempolicyRows: FamilyRows = {
  set_mempolicy: supported(setMempolicy),
  get_mempolicy: supported(getMempolicy),
  mbind: partial(mbind, 'one node: pages never move'),
};
