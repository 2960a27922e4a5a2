/**
 * Limits, accounting, scheduling and randomness. Scheduling is virtual:
 * the sandbox reports the CPUs it may use and accepts hints without
 * passing anything to the host scheduler.
 */
import { totalmem } from 'node:os';
import { CLOCK_TICK_NS } from '../abi/linux/auxv';
import { CAP } from '../abi/linux/capability';
import { fail } from '../errors/linuxerr';
import { Task } from '../kernel/task';
import { RLIMIT, RLIM_NLIMITS, Rlimit } from '../kernel/limits';
import { memoryView } from '../kernel/memview';
import { writeOptional } from '../kernel/usermem';
import { randomFill } from '../platform/host/random';
import { SyscallArgs } from './args';
import { FamilyRows, supported, partial } from './rows';

/** The largest RLIMIT_NOFILE Linux accepts (fs.nr_open default). */
const NR_OPEN = 1048576n;

function encodeRlimit(l: Rlimit): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(l.cur, 0);
  b.writeBigUInt64LE(l.max, 8);
  return b;
}

function checkResource(r: number): void {
  if (r < 0 || r >= RLIM_NLIMITS) fail('EINVAL', `resource ${r}`);
}

/** Applies a new limit with setrlimit(2)'s rules (cur ≤ max; raising max needs CAP_SYS_RESOURCE). */
function setLimit(t: Task, resource: number, next: Rlimit): void {
  const cur = t.process.limits[resource];
  if (next.cur > next.max) fail('EINVAL');
  if (next.max > cur.max && !t.process.creds.hasCap(CAP.SYS_RESOURCE)) fail('EPERM', 'raising a hard limit needs CAP_SYS_RESOURCE');
  if (resource === RLIMIT.NOFILE && next.max > NR_OPEN) fail('EPERM');
  t.process.limits[resource] = next;
}

function readRlimit(t: Task, addr: number): Rlimit {
  const b = t.mem.read(addr, 16);
  return { cur: b.readBigUInt64LE(0), max: b.readBigUInt64LE(8) };
}

/** getrlimit(2). */
function getrlimit(t: Task, a: SyscallArgs): number {
  checkResource(a.int(0));
  t.mem.write(a.ptr(1), encodeRlimit(t.process.limits[a.int(0)]));
  return 0;
}

/** setrlimit(2). Limits are recorded and enforced where the Sentry checks them (NOFILE, NPROC at fork and clone, STACK at exec). */
function setrlimit(t: Task, a: SyscallArgs): number {
  checkResource(a.int(0));
  setLimit(t, a.int(0), readRlimit(t, a.ptr(1)));
  return 0;
}

/** prlimit64(2) on the caller or another sandbox process. */
function prlimit64(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const p = pid === 0 ? t.process : (t.kernel.processes.get(pid) ?? fail('ESRCH'));
  const resource = a.int(1);
  checkResource(resource);
  const old = { ...p.limits[resource] };
  if (a.ptr(2) !== 0) setLimit(t, resource, readRlimit(t, a.ptr(2)));
  writeOptional(t.mem, a.ptr(3), encodeRlimit(old));
  return 0;
}

/** The host's RAM, read at start-up (before the Sentry's seccomp filter). */
const TOTAL_RAM = totalmem();

/** sysinfo(2): uptime, sandbox process count, memory in bytes (mem_unit 1): the host's, or the container's limit (kernel/memview.ts). */
function sysinfo(t: Task, a: SyscallArgs): number {
  const b = Buffer.alloc(112);
  b.writeBigInt64LE(t.kernel.uptimeNs() / 1_000_000_000n, 0);
  const m = memoryView(t.kernel, t.process, TOTAL_RAM);
  b.writeBigUInt64LE(BigInt(m.totalBytes), 32); // totalram
  b.writeBigUInt64LE(BigInt(m.freeBytes), 40); // freeram
  b.writeUInt16LE(t.kernel.processes.size, 80); // procs
  b.writeUInt32LE(1, 104); // mem_unit
  t.mem.write(a.ptr(0), b);
  return 0;
}

const RUSAGE_SELF = 0;
const RUSAGE_CHILDREN = -1;
const RUSAGE_THREAD = 1;

/** getrusage(2): the process's CPU time (RUSAGE_THREAD too), reported as user time; other fields zero. */
function getrusage(t: Task, a: SyscallArgs): number {
  const who = a.int(0);
  if (who !== RUSAGE_SELF && who !== RUSAGE_CHILDREN && who !== RUSAGE_THREAD) fail('EINVAL');
  const b = Buffer.alloc(144);
  if (who !== RUSAGE_CHILDREN) {
    const us = t.process.cpuTimeNs() / 1000n;
    b.writeBigInt64LE(us / 1_000_000n, 0);
    b.writeBigInt64LE(us % 1_000_000n, 8);
  }
  t.mem.write(a.ptr(1), b);
  return 0;
}

/** times(2): clock ticks (USER_HZ 100) since boot; process CPU time as user time. */
function times(t: Task, a: SyscallArgs): bigint {
  const b = Buffer.alloc(32);
  b.writeBigInt64LE(t.process.cpuTimeNs() / CLOCK_TICK_NS, 0);
  writeOptional(t.mem, a.ptr(0), b);
  return t.kernel.uptimeNs() / CLOCK_TICK_NS;
}

/** sched_getaffinity(2): all sandbox CPUs; returns the mask size written (a multiple of 8). */
function schedGetaffinity(t: Task, a: SyscallArgs): number {
  const len = a.uint(1);
  const need = Math.ceil(t.kernel.cpus / 64) * 8;
  if (len < need || len % 8 !== 0) fail('EINVAL');
  const mask = Buffer.alloc(need);
  for (let i = 0; i < t.kernel.cpus; i++) mask[i >> 3] |= 1 << (i & 7);
  t.mem.write(a.ptr(2), mask);
  return need;
}

/**
 * sched_setaffinity(2): accepted when the mask names a sandbox CPU (EINVAL
 * otherwise, as Linux for a mask without an active CPU); where tasks run is
 * the Sentry's business, so the mask is not kept.
 */
function schedSetaffinity(t: Task, a: SyscallArgs): number {
  const mask = t.mem.read(a.ptr(2), Math.min(a.uint(1), 128));
  for (let cpu = 0; cpu < t.kernel.cpus && cpu >> 3 < mask.length; cpu++) if (mask[cpu >> 3] & (1 << (cpu & 7))) return 0;
  return fail('EINVAL', 'no sandbox CPU in the mask');
}

/** getcpu(2): the virtual CPU 0 and NUMA node 0. */
function getcpu(t: Task, a: SyscallArgs): number {
  writeOptional(t.mem, a.ptr(0), Buffer.alloc(4));
  writeOptional(t.mem, a.ptr(1), Buffer.alloc(4));
  return 0;
}

const MAX_GETRANDOM = 33554431;

/** getrandom(2): never blocks (the sandbox's pool is always initialised); flags GRND_NONBLOCK|GRND_RANDOM|GRND_INSECURE. */
function getrandom(t: Task, a: SyscallArgs): number {
  if (a.uint(2) & ~0x7) fail('EINVAL');
  const n = Math.min(a.size(1), MAX_GETRANDOM);
  const chunk = Buffer.alloc(Math.min(n, 1 << 20));
  for (let done = 0; done < n; done += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, n - done));
    randomFill(part);
    t.mem.write(a.ptr(0) + done, part);
  }
  return n;
}

export const resourceSyscalls: FamilyRows = {
  getrlimit: supported(getrlimit),
  setrlimit: supported(setrlimit),
  prlimit64: supported(prlimit64),
  sysinfo: partial(sysinfo, 'free memory is an estimate; swap and high memory are zero'),
  getrusage: partial(getrusage, "user and system time are not split; RUSAGE_THREAD counts the whole process; children and counters are zero"),
  times: partial(times, 'user and system time are not split; children are zero'),
  sched_getaffinity: supported(schedGetaffinity),
  sched_setaffinity: partial(schedSetaffinity, 'virtual: accepted, does not pin'),
  sched_yield: supported(() => 0),
  getcpu: partial(getcpu, 'always CPU 0, node 0'),
  getrandom: supported(getrandom),
};
