/**
 * The syscall table: number -> row (handler, support level, note), merged
 * from the per-family files. Anything not here is unimplemented: the
 * dispatcher returns ENOSYS and records it for the exit report.
 */
import { SYS, SyscallName } from '../abi/linux/syscalls';
import { SyscallRow } from './types';
import { FamilyRows } from './rows';
import { timeSyscalls } from './time';
import { identitySyscalls } from './identity';
import { resourceSyscalls } from './resources';
import { threadSyscalls } from './thread';
import { signalSyscalls } from './signal';
import { prctlSyscalls } from './prctl';
import { capabilitySyscalls } from './capability';
import { seccompSyscalls } from './seccomp';
import { privilegedSyscalls } from './privileged';
import { mmSyscalls } from './mm';
import { execSyscalls } from './exec';
import { fsRows } from './fs';
import { futexSyscalls } from './futex';
import { xattrSyscalls } from './xattr';
import { processSyscalls } from './process';
import { itimerSyscalls } from './itimer';
import { pipeRows } from './pipe';
import { pollRows } from './poll';
import { epollRows } from './epoll';
import { eventfdRows } from './eventfd';
import { inotifyRows } from './inotify';
import { pidfdRows } from './pidfd';
import { membarrierRows } from './membarrier';
import { mempolicyRows } from './mempolicy';
import { mqueueRows } from './mqueue';
import { memfdRows } from './memfd';
import { schedSyscalls } from './sched';
import { spliceRows } from './splice';
import { semSyscalls } from './sem';
import { msgSyscalls } from './msg';
import { timerfdRows } from './timerfd';
import { socketRows } from './socket';
import { shmSyscalls } from './shm';

export interface TableEntry extends SyscallRow {
  readonly nr: number;
  readonly name: SyscallName;
}

const FAMILIES: FamilyRows[] = [
  timeSyscalls,
  identitySyscalls,
  resourceSyscalls,
  threadSyscalls,
  signalSyscalls,
  prctlSyscalls,
  capabilitySyscalls,
  seccompSyscalls,
  privilegedSyscalls,
  mmSyscalls,
  execSyscalls,
  fsRows,
  futexSyscalls,
  xattrSyscalls,
  processSyscalls,
  itimerSyscalls,
  pipeRows,
  pollRows,
  epollRows,
  eventfdRows,
  inotifyRows,
  pidfdRows,
  membarrierRows,
  mempolicyRows,
  mqueueRows,
  memfdRows,
  schedSyscalls,
  spliceRows,
  semSyscalls,
  msgSyscalls,
  timerfdRows,
  socketRows,
  shmSyscalls,
];

function build(): Map<number, TableEntry> {
  const table = new Map<number, TableEntry>();
  for (const family of FAMILIES) {
    for (const [name, row] of Object.entries(family) as [SyscallName, SyscallRow][]) {
      const nr = SYS[name];
      if (table.has(nr)) throw new Error(`syscall ${name} is defined by two families`);
      table.set(nr, { ...row, nr, name });
    }
  }
  return table;
}

export const SYSCALL_TABLE: ReadonlyMap<number, TableEntry> = build();
