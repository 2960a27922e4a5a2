/**
 * Identity syscalls: uname, pids, credentials, sessions and the kernel
 * log. The sandbox reports its emulated kernel (4.4.0), its own hostname
 * and virtual pids; nothing of the host's identity shows.
 */
import { fail } from '../errors/linuxerr';
import { Task } from '../kernel/task';
import { bootLog } from '../kernel/syslog';
import { writeI32 } from '../kernel/usermem';
import { SyscallArgs } from './args';
import { FamilyRows, supported, partial } from './rows';
import { CAP } from '../abi/linux/capability';
import { capsOnUidChange } from '../kernel/capabilities';
import type { Credentials } from '../kernel/creds';

export const UTS = {
  sysname: 'Linux',
  release: '4.4.0',
  version: '#1 SMP Sun Jan 10 15:06:54 PST 2016',
  machine: 'x86_64',
};

/** __NEW_UTS_LEN: the longest host or domain name. */
const UTS_LEN = 64;

/** uname(2): struct utsname is six 65-byte NUL-padded fields; the names are the kernel's UTS namespace's. */
function uname(t: Task, a: SyscallArgs): number {
  const b = Buffer.alloc((UTS_LEN + 1) * 6);
  const { hostname, domainname } = t.kernel.uts;
  [UTS.sysname, hostname, UTS.release, UTS.version, UTS.machine, domainname].forEach((s, i) =>
    b.write(s.slice(0, UTS_LEN), i * (UTS_LEN + 1), 'latin1'),
  );
  t.mem.write(a.ptr(0), b);
  return 0;
}

/**
 * sethostname(2)/setdomainname(2): CAP_SYS_ADMIN, at most 64 bytes (any
 * bytes: Linux does not stop at a NUL). The UTS namespace is the
 * sandbox's: in a pod, every container sees the new name, as the
 * containers of a Kubernetes pod share the pod's UTS namespace.
 */
function setUtsName(field: 'hostname' | 'domainname') {
  return (t: Task, a: SyscallArgs): number => {
    if (!t.process.creds.hasCap(CAP.SYS_ADMIN)) fail('EPERM', `set${field} needs CAP_SYS_ADMIN`);
    const len = a.int(1);
    if (len < 0 || len > UTS_LEN) fail('EINVAL', `length ${len}`);
    t.kernel.uts[field] = t.mem.read(a.ptr(0), len).toString('latin1');
    return 0;
  };
}

const getpid = (t: Task): number => t.process.pid;
const gettid = (t: Task): number => t.tid;
const getppid = (t: Task): number => t.process.ppid;
const getuid = (t: Task): number => t.process.creds.uid;
const geteuid = (t: Task): number => t.process.creds.euid;
const getgid = (t: Task): number => t.process.creds.gid;
const getegid = (t: Task): number => t.process.creds.egid;

function writeTriple(t: Task, a: SyscallArgs, ids: [number, number, number]): number {
  ids.forEach((id, i) => writeI32(t.mem, a.ptr(i), id));
  return 0;
}

/** getresuid(2). */
function getresuid(t: Task, a: SyscallArgs): number {
  const c = t.process.creds;
  return writeTriple(t, a, [c.uid, c.euid, c.suid]);
}

/** getresgid(2). */
function getresgid(t: Task, a: SyscallArgs): number {
  const c = t.process.creds;
  return writeTriple(t, a, [c.gid, c.egid, c.sgid]);
}

/** getgroups(2): size 0 returns the count; a too-small buffer is EINVAL. */
function getgroups(t: Task, a: SyscallArgs): number {
  const groups = t.process.creds.groups;
  const size = a.int(0);
  if (size < 0) fail('EINVAL');
  if (size === 0) return groups.length;
  if (size < groups.length) fail('EINVAL');
  const b = Buffer.alloc(groups.length * 4);
  groups.forEach((g, i) => b.writeUInt32LE(g >>> 0, i * 4));
  t.mem.write(a.ptr(1), b);
  return groups.length;
}

/** setgroups(2): needs CAP_SETGID. */
function setgroups(t: Task, a: SyscallArgs): number {
  const n = a.int(0);
  if (n < 0 || n > 65536) fail('EINVAL');
  if (!t.process.creds.hasCap(CAP.SETGID)) fail('EPERM', 'setgroups needs CAP_SETGID');
  const b = t.mem.read(a.ptr(1), n * 4);
  t.process.creds.groups = Array.from({ length: n }, (_, i) => b.readUInt32LE(i * 4));
  return 0;
}

const NO_CHANGE = 0xffffffff;

/** CAP_SETUID for user ids, CAP_SETGID for group ids. */
const mayChange = (c: Credentials, kind: 'uid' | 'gid'): boolean => c.hasCap(kind === 'uid' ? CAP.SETUID : CAP.SETGID);

/**
 * setresuid/setresgid(2) and the setuid family built on them: with
 * CAP_SETUID (CAP_SETGID) any id; otherwise only a switch among the
 * current real/effective/saved ids. A uid change then adjusts the
 * capability sets as Linux does (kernel/capabilities.ts capsOnUidChange).
 */
function setIds(t: Task, kind: 'uid' | 'gid', r: number, e: number, s: number): number {
  const c = t.process.creds;
  const cur = kind === 'uid' ? [c.uid, c.euid, c.suid] : [c.gid, c.egid, c.sgid];
  const want = [r, e, s];
  if (!mayChange(c, kind) && want.some((id) => id !== NO_CHANGE && !cur.includes(id))) fail('EPERM');
  const next = want.map((id, i) => (id === NO_CHANGE ? cur[i] : id));
  if (kind === 'uid') {
    const old = { uid: c.uid, euid: c.euid, suid: c.suid };
    [c.uid, c.euid, c.suid] = next;
    c.caps = capsOnUidChange(c.caps, old, c, c.keepCaps);
  } else {
    [c.gid, c.egid, c.sgid] = next;
  }
  return 0;
}

const setresuid = (t: Task, a: SyscallArgs) => setIds(t, 'uid', a.uint(0), a.uint(1), a.uint(2));
const setresgid = (t: Task, a: SyscallArgs) => setIds(t, 'gid', a.uint(0), a.uint(1), a.uint(2));
const setreuid = (t: Task, a: SyscallArgs) => setIds(t, 'uid', a.uint(0), a.uint(1), NO_CHANGE);
const setregid = (t: Task, a: SyscallArgs) => setIds(t, 'gid', a.uint(0), a.uint(1), NO_CHANGE);

/** setuid(2): with CAP_SETUID all three ids; otherwise only the effective one. */
function setuid(t: Task, a: SyscallArgs): number {
  const id = a.uint(0);
  return mayChange(t.process.creds, 'uid') ? setIds(t, 'uid', id, id, id) : setIds(t, 'uid', NO_CHANGE, id, NO_CHANGE);
}

/** setgid(2): with CAP_SETGID all three ids; otherwise only the effective one. */
function setgid(t: Task, a: SyscallArgs): number {
  const id = a.uint(0);
  return mayChange(t.process.creds, 'gid') ? setIds(t, 'gid', id, id, id) : setIds(t, 'gid', NO_CHANGE, id, NO_CHANGE);
}

/** Looks up a process by virtual pid (0: the caller); ESRCH if unknown. */
function processOf(t: Task, pid: number) {
  if (pid === 0) return t.process;
  return t.kernel.processes.get(pid) ?? fail('ESRCH', `pid ${pid}`);
}

const getpgrp = (t: Task): number => t.process.pgid;
const getpgid = (t: Task, a: SyscallArgs): number => processOf(t, a.int(0)).pgid;
const getsid = (t: Task, a: SyscallArgs): number => processOf(t, a.int(0)).sid;

/** setsid(2): EPERM for a process-group leader, as on Linux. */
function setsid(t: Task): number {
  const p = t.process;
  if (p.pgid === p.pid) fail('EPERM');
  p.sid = p.pid;
  p.pgid = p.pid;
  return p.sid;
}

/** setpgid(2) for the caller or its children, within the caller's session. */
function setpgid(t: Task, a: SyscallArgs): number {
  const target = processOf(t, a.int(0));
  const pgid = a.int(1) === 0 ? target.pid : a.int(1);
  if (pgid < 0) fail('EINVAL');
  if (target !== t.process && target.ppid !== t.process.pid) fail('ESRCH');
  if (target.sid !== t.process.sid) fail('EPERM');
  target.pgid = pgid;
  return 0;
}

const SYSLOG = { READ: 2, READ_ALL: 3, READ_CLEAR: 4, CLEAR: 5, CONSOLE_OFF: 6, CONSOLE_ON: 7, CONSOLE_LEVEL: 8, SIZE_UNREAD: 9, SIZE_BUFFER: 10 };

/** syslog(2) (klogctl): reads the sandbox's own boot log; clearing and console control are accepted no-ops. */
function syslog(t: Task, a: SyscallArgs): number {
  const log = Buffer.from(bootLog());
  switch (a.int(0)) {
    case SYSLOG.READ_ALL:
    case SYSLOG.READ_CLEAR:
    case SYSLOG.READ: {
      const len = a.int(2);
      if (len < 0) fail('EINVAL');
      const out = log.subarray(Math.max(0, log.length - len));
      t.mem.write(a.ptr(1), out);
      return out.length;
    }
    case SYSLOG.SIZE_BUFFER:
    case SYSLOG.SIZE_UNREAD:
      return log.length;
    case SYSLOG.CLEAR:
    case SYSLOG.CONSOLE_OFF:
    case SYSLOG.CONSOLE_ON:
    case SYSLOG.CONSOLE_LEVEL:
    case 0: // SYSLOG_ACTION_CLOSE
    case 1: // SYSLOG_ACTION_OPEN
      return 0;
    default:
      return fail('EINVAL');
  }
}

export const identitySyscalls: FamilyRows = {
  uname: supported(uname),
  sethostname: supported(setUtsName('hostname')),
  setdomainname: supported(setUtsName('domainname')),
  getpid: supported(getpid),
  gettid: supported(gettid),
  getppid: supported(getppid),
  getuid: supported(getuid),
  geteuid: supported(geteuid),
  getgid: supported(getgid),
  getegid: supported(getegid),
  getresuid: supported(getresuid),
  getresgid: supported(getresgid),
  getgroups: supported(getgroups),
  setgroups: supported(setgroups),
  setuid: partial(setuid, 'virtual credentials and capabilities; no SECBIT_NO_SETUID_FIXUP'),
  setgid: partial(setgid, 'virtual credentials'),
  setreuid: partial(setreuid, 'virtual credentials'),
  setregid: partial(setregid, 'virtual credentials'),
  setresuid: partial(setresuid, 'virtual credentials'),
  setresgid: partial(setresgid, 'virtual credentials'),
  setfsuid: partial((t) => t.process.creds.euid, 'returns the current fsuid (= euid) without changing it'),
  setfsgid: partial((t) => t.process.creds.egid, 'returns the current fsgid (= egid) without changing it'),
  getpgrp: supported(getpgrp),
  getpgid: supported(getpgid),
  getsid: supported(getsid),
  setsid: supported(setsid),
  setpgid: partial(setpgid, 'does not check that the target group exists in the session'),
  syslog: supported(syslog),
};
