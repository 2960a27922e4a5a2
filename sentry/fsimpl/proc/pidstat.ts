/**
 * /proc/[pid]/stat, statm and status (proc(5)): a process's state, CPU
 * time, start time and memory as `ps` and `top` read them.
 */
import { CLOCK_TICK_NS } from '../../abi/linux/auxv';
import { formatCapSet } from '../../kernel/capabilities';
import { residentBytes } from '../../kernel/resident';
import { isStopped } from '../../kernel/signal/state';
import type { Process, Task } from '../../kernel/task';
import { defaultSchedAttr, statPriority } from '../../kernel/schedattr';
import type { MemoryUsage } from '../../mm/mm';
import { controllingTty } from '../devpts/devpts';

const PAGE = 4096;

const STATES = { R: 'running', S: 'sleeping', T: 'stopped', Z: 'zombie' } as const;
type State = keyof typeof STATES;

/**
 * A thread's state; for a process, its leader's, as Linux reports it:
 * zombie once it exited, stopped by job control, sleeping while parked in
 * a syscall, else running (in app code, or in the Sentry on its behalf).
 */
function state(p: Process, thread?: Task): State {
  if (p.exitStatus !== undefined) return 'Z';
  if (isStopped(p)) return 'T';
  const t = thread ?? p.leader ?? p.tasks.values().next().value;
  return t?.blocked ? 'S' : 'R';
}

interface Memory extends MemoryUsage {
  /** Resident bytes: measured (mincore) over the accessible areas. */
  rss: number;
}

/**
 * The process's memory. Resident bytes are measured through a stopped
 * thread; when all of them run app code, the last measurement stands (0
 * before the first). A zombie has none, as in Linux.
 */
function memory(p: Process): Memory {
  if (p.exitStatus !== undefined) return { size: 0, rss: 0, data: 0, stack: 0, exe: 0 };
  return { ...p.mm.usage(), rss: residentBytes(p) };
}

const ticks = (ns: bigint): bigint => ns / CLOCK_TICK_NS;

/**
 * The 52 fields of /proc/[pid]/stat, or of a thread's (task/[tid]/stat:
 * its tid and state; the rest is the process's). CPU time is the stub's,
 * all counted as user time (the Sentry's work on the process's syscalls
 * is not split out, nor one thread's from another's); fault counts,
 * children's times and signal masks are 0. Priority, nice and policy are
 * the thread's (the leader's for the process).
 */
export function stat(p: Process, thread?: Task): string {
  const m = memory(p);
  const l = p.mm.layout;
  const tty = controllingTty(p);
  const f: (string | number | bigint)[] = [thread?.tid ?? p.pid, `(${p.comm})`, state(p, thread), p.ppid, p.pgid, p.sid, tty.rdev, tty.foreground, 0x400000];
  const sched = (thread ?? p.kernel.tasks.get(p.pid) ?? [...p.tasks][0])?.schedAttr ?? defaultSchedAttr();
  f.push(0, 0, 0, 0, ticks(p.cpuTimeNs()), 0, 0, 0, statPriority(sched), sched.nice, p.tasks.size, 0, ticks(p.startNs), m.size, m.rss / PAGE, '18446744073709551615');
  f.push(l.startCode, l.endCode, l.startStack);
  while (f.length < 37) f.push(0);
  f.push(p.exitSignal, 0, sched.priority, sched.policy, 0, 0, 0);
  f.push(l.startData, l.endData, p.mm.startBrk, l.argStart, l.argEnd, l.envStart, l.envEnd, 0);
  return `${f.join(' ')}\n`;
}

/** /proc/[pid]/statm, in pages: size resident shared text lib data dt (shared, lib and dt are 0). */
export function statm(p: Process): string {
  const m = memory(p);
  return `${[m.size, m.rss, 0, m.exe, 0, m.data + m.stack, 0].map((b) => Math.ceil(b / PAGE)).join(' ')}\n`;
}

const kB = (bytes: number): string => `${String(Math.ceil(bytes / 1024)).padStart(8)} kB`;

/** /proc/[pid]/status, with the Vm lines of a live process; for a thread, its Pid and State. */
export function status(p: Process, thread?: Task): string {
  const c = p.creds;
  const s = state(p, thread);
  const vm: [string, string][] = [];
  if (s !== 'Z') {
    const m = memory(p);
    vm.push(['VmSize', kB(m.size)], ['VmRSS', kB(m.rss)], ['VmData', kB(m.data)], ['VmStk', kB(m.stack)], ['VmExe', kB(m.exe)]);
  }
  const rows: [string, string | number][] = [
    ['Name', p.comm], ['Umask', p.fs.umask.toString(8).padStart(4, '0')], ['State', `${s} (${STATES[s]})`],
    ['Tgid', p.pid], ['Ngid', 0], ['Pid', thread?.tid ?? p.pid], ['PPid', p.ppid], ['TracerPid', 0],
    ['Uid', `${c.uid}\t${c.euid}\t${c.suid}\t${c.euid}`], ['Gid', `${c.gid}\t${c.egid}\t${c.sgid}\t${c.egid}`],
    ['FDSize', 64], ['Groups', c.groups.join(' ')], ...vm, ['Threads', p.tasks.size],
    ['SigQ', '0/63457'],
    ['CapInh', formatCapSet(c.caps.inheritable)], ['CapPrm', formatCapSet(c.caps.permitted)], ['CapEff', formatCapSet(c.caps.effective)],
    ['CapBnd', formatCapSet(c.caps.bounding)], ['CapAmb', formatCapSet(c.caps.ambient)],
    ['NoNewPrivs', p.noNewPrivs], ['Seccomp', p.seccomp.mode], ['Cpus_allowed_list', '0'], ['voluntary_ctxt_switches', 0],
    ['nonvoluntary_ctxt_switches', 0],
  ];
  return rows.map(([k, v]) => `${k}:\t${v}\n`).join('');
}
