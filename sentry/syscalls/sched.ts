/**
 * Scheduling attributes: getpriority/setpriority, sched_setscheduler and
 * the rest of sched(7), ioprio_set/ioprio_get. Each thread's values are
 * kept with Linux's checks and inheritance (kernel/schedattr.ts) and
 * reported back (and in /proc/[pid]/stat), but the Sentry schedules every
 * task alike: they never change when a task runs. SCHED_DEADLINE passes
 * the checks and then finds no bandwidth to admit (EBUSY).
 */
import { CAP } from '../abi/linux/capability';
import {
  IOPRIO_CLASS, IOPRIO_CLASS_SHIFT, IOPRIO_WHO, MAX_NICE, MAX_RT_PRIO, MIN_NICE, RR_TIMESLICE_NS,
  SCHED, SCHED_ATTR, SCHED_FLAG, SCHED_FLAG_ALL, SCHED_RESET_ON_FORK,
} from '../abi/linux/sched';
import { PAGE_SIZE } from '../abi/linux/mm';
import { fail, LinuxError } from '../errors/linuxerr';
import type { Credentials } from '../kernel/creds';
import { RLIMIT } from '../kernel/limits';
import { bestIoprio, isRealtime, type SchedAttr, validPolicy } from '../kernel/schedattr';
import type { Task } from '../kernel/task';
import { writeI32 } from '../kernel/usermem';
import { encodeTimespec } from '../abi/linux/time';
import type { SyscallArgs } from './args';
import { FamilyRows, partial, supported } from './rows';

/** sched_*'s target: the caller for 0, else the thread with that id (ESRCH); a negative pid is EINVAL. */
function target(t: Task, pid: number): Task {
  if (pid < 0) fail('EINVAL', `pid ${pid}`);
  return pid === 0 ? t : (t.kernel.tasks.get(pid) ?? fail('ESRCH', `no task ${pid}`));
}

/**
 * The threads getpriority/setpriority and ioprio_get/ioprio_set mean:
 * one thread (0: the caller), every thread of a process group (0: the
 * caller's), or of a user's processes (by real uid; 0: the caller's).
 */
function selected(t: Task, which: 'process' | 'pgrp' | 'user', who: number): Task[] {
  if (which === 'process') {
    const one = who === 0 ? t : t.kernel.tasks.get(who);
    return one ? [one] : [];
  }
  const all = [...t.kernel.tasks.values()];
  if (which === 'pgrp') {
    const pgid = who === 0 ? t.process.pgid : who;
    return all.filter((x) => x.process.pgid === pgid);
  }
  const uid = who === 0 ? t.process.creds.uid : who;
  return all.filter((x) => x.process.creds.uid === uid);
}

/** getpriority's `which` (PRIO_PROCESS, PRIO_PGRP, PRIO_USER). */
const PRIO_WHICH = ['process', 'pgrp', 'user'] as const;
const IOPRIO_WHICH: Record<number, 'process' | 'pgrp' | 'user'> = { [IOPRIO_WHO.PROCESS]: 'process', [IOPRIO_WHO.PGRP]: 'pgrp', [IOPRIO_WHO.USER]: 'user' };

/** A nice value asked for, brought into -20..19 (setpriority and sched_setattr clamp rather than refuse). */
function clampNice(nice: number): number {
  return Math.min(MAX_NICE, Math.max(MIN_NICE, nice));
}

/** check_same_owner: the caller's euid is the target's uid or euid. */
function sameOwner(c: Credentials, x: Task): boolean {
  const o = x.process.creds;
  return c.euid === o.euid || c.euid === o.uid;
}

/** can_nice: lowering `x`'s nice to `nice` needs CAP_SYS_NICE or room under x's RLIMIT_NICE (20 - nice at most). */
function canNice(t: Task, x: Task, nice: number): boolean {
  return BigInt(20 - nice) <= x.process.limits[RLIMIT.NICE].cur || t.process.creds.hasCap(CAP.SYS_NICE);
}

/**
 * Runs `change` on each selected thread; as Linux, the first failure is
 * reported even if others succeed, and nothing selected is ESRCH.
 */
function forEachSelected(tasks: Task[], change: (x: Task) => void): number {
  if (tasks.length === 0) fail('ESRCH', 'no such process');
  let error: LinuxError | undefined;
  for (const x of tasks) {
    try {
      change(x);
    } catch (e) {
      if (!(e instanceof LinuxError)) throw e;
      error ??= e;
    }
  }
  if (error) throw error;
  return 0;
}

/** getpriority(2): 20 - nice of the selected thread, or the highest among several (the lowest nice). */
function getpriority(t: Task, a: SyscallArgs): number {
  const which = PRIO_WHICH[a.int(0)] ?? fail('EINVAL', `which ${a.int(0)}`);
  const tasks = selected(t, which, a.int(1));
  if (tasks.length === 0) fail('ESRCH', 'no such process');
  return Math.max(...tasks.map((x) => 20 - x.schedAttr.nice));
}

/** setpriority(2): nice clamped to -20..19; EPERM for another user's thread, EACCES for a lower nice without CAP_SYS_NICE or RLIMIT_NICE. */
function setpriority(t: Task, a: SyscallArgs): number {
  const which = PRIO_WHICH[a.int(0)] ?? fail('EINVAL', `which ${a.int(0)}`);
  const nice = clampNice(a.int(2));
  const c = t.process.creds;
  return forEachSelected(selected(t, which, a.int(1)), (x) => {
    if (!sameOwner(c, x) && !c.hasCap(CAP.SYS_NICE)) fail('EPERM', `setpriority of ${x.tid}`);
    if (nice < x.schedAttr.nice && !canNice(t, x, nice)) fail('EACCES', `nice ${nice}`);
    x.schedAttr.nice = nice;
  });
}

interface SchedRequest {
  /** undefined: keep the current policy (sched_setparam, SCHED_FLAG_KEEP_POLICY). */
  policy: number | undefined;
  priority: number;
  /** sched_setattr's nice for the fair policies; undefined keeps it. */
  nice: number | undefined;
  resetOnFork: boolean;
  /** SCHED_FLAG_KEEP_PARAMS: checked, but only the reset-on-fork flag changes. */
  keepParams?: boolean;
}

/**
 * __sched_setscheduler's checks, then the change: EINVAL for an unknown
 * policy or a priority outside its range; without CAP_SYS_NICE, EPERM for
 * another user's thread, a real-time policy or priority beyond
 * RLIMIT_RTPRIO, SCHED_DEADLINE, leaving SCHED_IDLE or SCHED_RESET_ON_FORK
 * without room to nice, or a nice below what RLIMIT_NICE allows.
 */
function setScheduler(t: Task, x: Task, r: SchedRequest): void {
  const cur = x.schedAttr;
  const policy = r.policy ?? cur.policy;
  if (!validPolicy(policy)) fail('EINVAL', `policy ${policy}`);
  if (r.priority < 0 || r.priority > MAX_RT_PRIO - 1 || isRealtime(policy) !== (r.priority !== 0)) fail('EINVAL', `priority ${r.priority} for policy ${policy}`);
  if (!t.process.creds.hasCap(CAP.SYS_NICE)) {
    const rtprio = x.process.limits[RLIMIT.RTPRIO].cur;
    const denied =
      (!isRealtime(policy) && policy !== SCHED.DEADLINE && r.nice !== undefined && r.nice < cur.nice && !canNice(t, x, r.nice)) ||
      (isRealtime(policy) && ((policy !== cur.policy && rtprio === 0n) || (r.priority > cur.priority && BigInt(r.priority) > rtprio))) ||
      policy === SCHED.DEADLINE ||
      (cur.policy === SCHED.IDLE && policy !== SCHED.IDLE && !canNice(t, x, cur.nice)) ||
      !sameOwner(t.process.creds, x) ||
      (cur.resetOnFork && !r.resetOnFork);
    if (denied) fail('EPERM', `scheduling change of ${x.tid}`);
  }
  if (policy === SCHED.DEADLINE) fail('EBUSY', 'no bandwidth for SCHED_DEADLINE');
  if (r.keepParams) {
    x.schedAttr = { ...cur, resetOnFork: r.resetOnFork };
    return;
  }
  const next: SchedAttr = { ...cur, policy, priority: r.priority, resetOnFork: r.resetOnFork };
  if (r.nice !== undefined && !isRealtime(policy)) next.nice = r.nice;
  x.schedAttr = next;
}

/** struct sched_param's priority; EINVAL for a NULL pointer (checked with the pid). */
function readParam(t: Task, addr: number, pid: number): number {
  if (addr === 0 || pid < 0) fail('EINVAL', 'sched_param');
  return t.mem.read(addr, 4).readInt32LE(0);
}

/** sched_setscheduler(2): SCHED_NORMAL, _BATCH, _IDLE, _FIFO, _RR, optionally | SCHED_RESET_ON_FORK; the nice value stays. */
function schedSetscheduler(t: Task, a: SyscallArgs): number {
  const priority = readParam(t, a.ptr(2), a.int(0));
  const raw = a.int(1);
  const x = target(t, a.int(0));
  if (raw < 0) fail('EINVAL', `policy ${raw}`);
  // SCHED_DEADLINE needs sched_setattr's parameters.
  if ((raw & ~SCHED_RESET_ON_FORK) === SCHED.DEADLINE) fail('EINVAL', 'SCHED_DEADLINE through sched_setscheduler');
  setScheduler(t, x, { policy: raw & ~SCHED_RESET_ON_FORK, priority, nice: undefined, resetOnFork: (raw & SCHED_RESET_ON_FORK) !== 0 });
  return 0;
}

/** sched_setparam(2): the priority under the thread's current policy. */
function schedSetparam(t: Task, a: SyscallArgs): number {
  const priority = readParam(t, a.ptr(1), a.int(0));
  const x = target(t, a.int(0));
  setScheduler(t, x, { policy: undefined, priority, nice: undefined, resetOnFork: x.schedAttr.resetOnFork });
  return 0;
}

/** sched_getscheduler(2): the policy, with SCHED_RESET_ON_FORK when set. */
function schedGetscheduler(t: Task, a: SyscallArgs): number {
  const s = target(t, a.int(0)).schedAttr;
  return s.policy | (s.resetOnFork ? SCHED_RESET_ON_FORK : 0);
}

/** sched_getparam(2): the real-time priority (0 under the other policies). */
function schedGetparam(t: Task, a: SyscallArgs): number {
  if (a.ptr(1) === 0 || a.int(0) < 0) fail('EINVAL', 'sched_param');
  writeI32(t.mem, a.ptr(1), target(t, a.int(0)).schedAttr.priority);
  return 0;
}

/**
 * sched_setattr(2): struct sched_attr of VER0 (48 bytes) or more (bytes
 * past what Linux knows must be zero, else E2BIG with the size it knows
 * written back); flags must be 0. SCHED_FLAG_KEEP_POLICY and
 * KEEP_PARAMS keep what the thread has; the nice value applies to the
 * fair policies; utilization clamps are checked, not kept.
 */
function schedSetattr(t: Task, a: SyscallArgs): number {
  const addr = a.ptr(1);
  if (addr === 0 || a.int(0) < 0 || a.uint(2) !== 0) fail('EINVAL', 'sched_setattr');
  const given = t.mem.read(addr, 4).readUInt32LE(0);
  const size = given === 0 ? SCHED_ATTR.SIZE_VER0 : given;
  const tooBig = size < SCHED_ATTR.SIZE_VER0 || size > PAGE_SIZE || (size > SCHED_ATTR.SIZE_VER1 && t.mem.read(addr + SCHED_ATTR.SIZE_VER1, size - SCHED_ATTR.SIZE_VER1).some((b) => b !== 0));
  if (tooBig) {
    writeI32(t.mem, addr, SCHED_ATTR.SIZE_VER1);
    fail('E2BIG', `sched_attr of ${size} bytes`);
  }
  const raw = Buffer.alloc(SCHED_ATTR.SIZE_VER1);
  t.mem.read(addr, Math.min(size, SCHED_ATTR.SIZE_VER1)).copy(raw);
  const flags = Number(raw.readBigUInt64LE(SCHED_ATTR.flags));
  const clamps = SCHED_FLAG.UTIL_CLAMP_MIN | SCHED_FLAG.UTIL_CLAMP_MAX;
  if (flags & clamps && size < SCHED_ATTR.SIZE_VER1) fail('EINVAL', 'utilization clamps need a VER1 sched_attr');
  const policy = raw.readInt32LE(SCHED_ATTR.policy);
  if (policy < 0) fail('EINVAL', `policy ${policy}`);
  const x = target(t, a.int(0));
  if (flags & ~SCHED_FLAG_ALL) fail('EINVAL', `sched_flags ${flags}`);
  if (flags & SCHED_FLAG.UTIL_CLAMP_MIN && raw.readUInt32LE(SCHED_ATTR.utilMin) > 1024) fail('EINVAL', 'util_min');
  if (flags & SCHED_FLAG.UTIL_CLAMP_MAX && raw.readUInt32LE(SCHED_ATTR.utilMax) > 1024) fail('EINVAL', 'util_max');
  // KEEP_PARAMS checks the request with the thread's own priority (real-time) or nice (otherwise) in it (get_params).
  const keep = (flags & SCHED_FLAG.KEEP_PARAMS) !== 0;
  const rt = isRealtime(x.schedAttr.policy);
  setScheduler(t, x, {
    policy: flags & SCHED_FLAG.KEEP_POLICY ? undefined : policy,
    priority: keep && rt ? x.schedAttr.priority : raw.readUInt32LE(SCHED_ATTR.priority),
    nice: keep && !rt ? x.schedAttr.nice : clampNice(raw.readInt32LE(SCHED_ATTR.nice)),
    resetOnFork: (flags & SCHED_FLAG.RESET_ON_FORK) !== 0,
    keepParams: keep,
  });
  return 0;
}

/** sched_getattr(2): size at least VER0 and at most a page, flags 0; fills min(size, VER1) bytes (no utilization clamps: 0). */
function schedGetattr(t: Task, a: SyscallArgs): number {
  const size = a.uint(2);
  if (a.ptr(1) === 0 || a.int(0) < 0 || size > PAGE_SIZE || size < SCHED_ATTR.SIZE_VER0 || a.uint(3) !== 0) fail('EINVAL', 'sched_getattr');
  const s = target(t, a.int(0)).schedAttr;
  const out = Buffer.alloc(Math.min(size, SCHED_ATTR.SIZE_VER1));
  out.writeUInt32LE(out.length, SCHED_ATTR.size);
  out.writeUInt32LE(s.policy, SCHED_ATTR.policy);
  out.writeBigUInt64LE(BigInt(s.resetOnFork ? SCHED_FLAG.RESET_ON_FORK : 0), SCHED_ATTR.flags);
  if (isRealtime(s.policy)) out.writeUInt32LE(s.priority, SCHED_ATTR.priority);
  else out.writeInt32LE(s.nice, SCHED_ATTR.nice);
  t.mem.write(a.ptr(1), out);
  return 0;
}

/** sched_rr_get_interval(2): SCHED_RR's 100 ms quantum; 0 under the other policies, as for a task alone on its CPU. */
function schedRrGetInterval(t: Task, a: SyscallArgs): number {
  const ns = target(t, a.int(0)).schedAttr.policy === SCHED.RR ? RR_TIMESLICE_NS : 0;
  t.mem.write(a.ptr(1), encodeTimespec(BigInt(ns)));
  return 0;
}

/** ioprio_check_cap: classes NONE (level 0), RT (CAP_SYS_NICE or CAP_SYS_ADMIN), BE and IDLE; EINVAL otherwise. */
function checkIoprio(t: Task, ioprio: number): void {
  const cls = ioprio >>> IOPRIO_CLASS_SHIFT;
  const level = ioprio & 7;
  const c = t.process.creds;
  if (cls === IOPRIO_CLASS.RT && !c.hasCap(CAP.SYS_NICE) && !c.hasCap(CAP.SYS_ADMIN)) fail('EPERM', 'real-time I/O priority');
  if (cls > IOPRIO_CLASS.IDLE || (cls === IOPRIO_CLASS.NONE && level !== 0)) fail('EINVAL', `ioprio ${ioprio}`);
}

/** ioprio_set(2): EPERM for another user's thread without CAP_SYS_NICE. */
function ioprioSet(t: Task, a: SyscallArgs): number {
  const which = IOPRIO_WHICH[a.int(0)] ?? fail('EINVAL', `which ${a.int(0)}`);
  const ioprio = a.int(2);
  checkIoprio(t, ioprio);
  const c = t.process.creds;
  return forEachSelected(selected(t, which, a.int(1)), (x) => {
    if (x.process.creds.uid !== c.euid && x.process.creds.uid !== c.uid && !c.hasCap(CAP.SYS_NICE)) fail('EPERM', `ioprio of ${x.tid}`);
    x.schedAttr.ioprio = ioprio;
  });
}

/** ioprio_get(2): a thread's value (0 when none was set); for a group or user, the best of theirs. */
function ioprioGet(t: Task, a: SyscallArgs): number {
  const which = IOPRIO_WHICH[a.int(0)] ?? fail('EINVAL', `which ${a.int(0)}`);
  const tasks = selected(t, which, a.int(1));
  if (tasks.length === 0) fail('ESRCH', 'no such process');
  return tasks.map((x) => x.schedAttr.ioprio).reduce((best, v, i) => (i === 0 ? v : bestIoprio(best, v)));
}

const VIRTUAL = 'kept and reported; the Sentry schedules every task alike';

export const schedSyscalls: FamilyRows = {
  getpriority: supported(getpriority),
  setpriority: partial(setpriority, VIRTUAL),
  sched_setscheduler: partial(schedSetscheduler, VIRTUAL),
  sched_setparam: partial(schedSetparam, VIRTUAL),
  sched_getscheduler: supported(schedGetscheduler),
  sched_getparam: supported(schedGetparam),
  sched_setattr: partial(schedSetattr, `${VIRTUAL}; SCHED_DEADLINE EBUSY (no bandwidth); utilization clamps not kept`),
  sched_getattr: partial(schedGetattr, 'utilization clamps read 0'),
  sched_get_priority_max: supported((t, a) => (isRealtime(a.int(0)) ? MAX_RT_PRIO - 1 : validPolicy(a.int(0)) ? 0 : fail('EINVAL', `policy ${a.int(0)}`))),
  sched_get_priority_min: supported((t, a) => (isRealtime(a.int(0)) ? 1 : validPolicy(a.int(0)) ? 0 : fail('EINVAL', `policy ${a.int(0)}`))),
  sched_rr_get_interval: supported(schedRrGetInterval),
  ioprio_set: partial(ioprioSet, VIRTUAL),
  ioprio_get: supported(ioprioGet),
};
