/**
 * NUMA memory policies (set_mempolicy(2), mbind(2), get_mempolicy(2)) as
 * Linux validates and reports them, on a machine of one node, node 0:
 * every policy is kept and reported, and every page is on node 0 whatever
 * it says. A task's policy is inherited by its clones and kept across
 * exec; an area's (mbind) by a fork's copy of the area.
 */
import { MPOL, MPOL_F, MPOL_MODE_FLAGS } from '../abi/linux/mempolicy';
import { fail } from '../errors/linuxerr';
import type { MemoryIO } from '../platform/platform';

/** The nodes with memory: node 0 alone. */
export const ONLINE_NODES = 1n;
/** nr_node_ids: one past the highest possible node. */
export const NR_NODE_IDS = 1;
/** MAX_NUMNODES of a distribution kernel (CONFIG_NODES_SHIFT=10): nodemask bits past it must be 0. */
const MAX_NUMNODES = 1024;
const PAGE_BITS = 4096 * 8;

export interface MemPolicy {
  readonly mode: number;
  /** The MPOL_F_* mode flags it was made with. */
  readonly flags: number;
  /** What get_mempolicy reports: the caller's nodemask with STATIC/RELATIVE_NODES, else the nodes used. */
  readonly nodes: bigint;
}

/** A mode argument split into mode and flags, with sanitize_mpol_flags' checks (EINVAL). */
export function splitMode(arg: number): { mode: number; flags: number } {
  const flags = arg & MPOL_MODE_FLAGS;
  const mode = arg & ~MPOL_MODE_FLAGS;
  if (mode < 0 || mode >= MPOL.MAX) fail('EINVAL', `memory policy mode ${mode}`);
  if (flags & MPOL_F.STATIC_NODES && flags & MPOL_F.RELATIVE_NODES) fail('EINVAL', 'MPOL_F_STATIC_NODES with MPOL_F_RELATIVE_NODES');
  if (flags & MPOL_F.NUMA_BALANCING && mode !== MPOL.BIND && mode !== MPOL.PREFERRED_MANY) fail('EINVAL', 'MPOL_F_NUMA_BALANCING needs MPOL_BIND or MPOL_PREFERRED_MANY');
  return { mode, flags };
}

/**
 * The nodemask argument as Linux's get_nodes reads it: maxnode - 1 bits
 * (none when nmask is NULL); EINVAL past a page of bits or for a node set
 * beyond MAX_NUMNODES.
 */
export function readNodemask(mem: MemoryIO, addr: number, maxnode: bigint): bigint {
  if (addr === 0) return 0n;
  // Linux decrements the unsigned maxnode first: 0 wraps around to too many bits.
  if (maxnode === 0n) fail('EINVAL', 'maxnode 0');
  const bits = maxnode - 1n;
  if (bits === 0n) return 0n;
  if (bits > BigInt(PAGE_BITS)) fail('EINVAL', `maxnode ${maxnode}`);
  const n = Number(bits);
  const raw = mem.read(addr, Math.ceil(n / 64) * 8);
  let mask = 0n;
  for (let i = raw.length - 8; i >= 0; i -= 8) mask = (mask << 64n) | raw.readBigUInt64LE(i);
  mask &= (1n << bits) - 1n;
  if (mask >> BigInt(MAX_NUMNODES) !== 0n) fail('EINVAL', 'a node beyond MAX_NUMNODES');
  return mask;
}

/** The lowest set node. */
function firstNode(mask: bigint): bigint {
  return mask & -mask;
}

/**
 * Linux's mpol_new and mpol_set_nodemask: undefined for MPOL_DEFAULT (no
 * policy), MPOL_PREFERRED without nodes is local allocation, the others
 * need at least one existing node (EINVAL).
 */
export function newPolicy(modeArg: number, flags: number, nodes: bigint): MemPolicy | undefined {
  let mode = modeArg;
  const userNodes = (flags & (MPOL_F.STATIC_NODES | MPOL_F.RELATIVE_NODES)) !== 0;
  if (mode === MPOL.DEFAULT) {
    if (nodes !== 0n) fail('EINVAL', 'MPOL_DEFAULT with nodes');
    return undefined;
  }
  if (mode === MPOL.PREFERRED && nodes === 0n) {
    if (userNodes) fail('EINVAL', 'local MPOL_PREFERRED with STATIC/RELATIVE_NODES');
    mode = MPOL.LOCAL;
  } else if (mode === MPOL.LOCAL) {
    if (nodes !== 0n || userNodes) fail('EINVAL', 'MPOL_LOCAL with nodes or node flags');
  } else if (nodes === 0n) {
    fail('EINVAL', 'no nodes');
  }
  if (mode === MPOL.LOCAL) return { mode, flags, nodes: 0n };
  // RELATIVE_NODES maps the caller's bit i to the i-th allowed node (modulo their count): any bit is node 0 here.
  const used = flags & MPOL_F.RELATIVE_NODES ? ONLINE_NODES : nodes & ONLINE_NODES;
  if (used === 0n) fail('EINVAL', 'no node of the nodemask has memory');
  return { mode, flags, nodes: userNodes ? nodes : mode === MPOL.PREFERRED ? firstNode(used) : used };
}

/** Whether two policies are the same (areas with the same one may merge). */
export function samePolicy(a: MemPolicy | undefined, b: MemPolicy | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.mode === b.mode && a.flags === b.flags && a.nodes === b.nodes);
}

/** The nodemask as get_mempolicy writes it for `maxnode` bits: ALIGN(maxnode - 1, 64) bits, past nr_node_ids zero. */
export function encodeNodemask(mask: bigint, maxnode: bigint): Buffer {
  const bytes = Number(((maxnode - 1n + 63n) / 64n) * 8n);
  if (bytes > 4096) fail('EINVAL', `maxnode ${maxnode}`);
  const b = Buffer.alloc(bytes);
  if (bytes >= 8) b.writeBigUInt64LE(mask & 0xffff_ffff_ffff_ffffn, 0);
  return b;
}
