/**
 * futex(2). Shared futexes (no FUTEX_PRIVATE_FLAG) in MAP_SHARED memory
 * (anonymous, System V segments, shared file mappings) work across
 * processes; elsewhere they are private to the address space. Waits park
 * the task (kernel/wait.ts); wakes use the kernel's wait lists
 * (kernel/futex.ts), keyed as there.
 */
import { FUTEX, FUTEX_CMD_MASK, FUTEX_CLOCK_REALTIME, FUTEX_PRIVATE_FLAG } from '../abi/linux/futex';
import { CLOCK, TIMESPEC_SIZE, decodeTimespec } from '../abi/linux/time';
import { fail } from '../errors/linuxerr';
import { Task } from '../kernel/task';
import { Block, ETIMEDOUT } from '../kernel/wait';
import { SyscallArgs } from './args';
import { absoluteDeadline } from './time';
import { FamilyRows, partial } from './rows';

function word(t: Task, addr: number): number {
  if (addr % 4 !== 0) fail('EINVAL', 'unaligned futex');
  return t.mem.read(addr, 4).readUInt32LE(0);
}

/** The op's FUTEX_PRIVATE_FLAG decides whether a shared mapping gives a key shared across processes. */
function key(t: Task, addr: number, a: SyscallArgs): string {
  return t.kernel.futexes.key(t.process.mm, addr, (a.int(1) & FUTEX_PRIVATE_FLAG) === 0);
}

/**
 * The wait's deadline: FUTEX_WAIT takes a relative timeout, WAIT_BITSET an
 * absolute one on CLOCK_MONOTONIC or (FUTEX_CLOCK_REALTIME) CLOCK_REALTIME.
 */
function deadline(t: Task, a: SyscallArgs, absolute: boolean): bigint | undefined {
  if (a.ptr(3) === 0) return undefined;
  const ts = decodeTimespec(t.mem.read(a.ptr(3), TIMESPEC_SIZE)) ?? fail('EINVAL', 'timeout');
  if (!absolute) return t.deadline(ts);
  const clock = a.int(1) & FUTEX_CLOCK_REALTIME ? CLOCK.REALTIME : CLOCK.MONOTONIC;
  return absoluteDeadline(t, ts, clock);
}

/** FUTEX_WAIT(_BITSET): EAGAIN if *uaddr != val, else sleep until woken (0), timed out or interrupted (EINTR). */
function wait(t: Task, a: SyscallArgs, bitset: number, absolute: boolean): number {
  const addr = a.ptr(0);
  const k = key(t, addr, a);
  const futexes = t.kernel.futexes;
  if (futexes.takeWoken(t)) return 0;
  if (bitset === 0) fail('EINVAL', 'empty bitset');
  if (!futexes.isWaiting(k, t)) {
    if (word(t, addr) !== a.uint(2)) fail('EAGAIN');
    futexes.enqueue(k, t, bitset);
  }
  throw new Block([], deadline(t, a, absolute), ETIMEDOUT, 'eintr', () => futexes.remove(k, t));
}

function wake(t: Task, a: SyscallArgs, bitset: number): number {
  if (a.ptr(0) % 4 !== 0) fail('EINVAL', 'unaligned futex');
  if (bitset === 0) fail('EINVAL', 'empty bitset');
  return t.kernel.futexes.wake(key(t, a.ptr(0), a), a.int(2), bitset);
}

/** FUTEX_(CMP_)REQUEUE: the count to move is in the timeout argument's register. */
function requeue(t: Task, a: SyscallArgs, compare: boolean): number {
  if (compare && word(t, a.ptr(0)) !== a.uint(5)) fail('EAGAIN');
  const nMove = Number(a.u64(3) & 0x7fffffffn);
  return t.kernel.futexes.requeue(key(t, a.ptr(0), a), key(t, a.ptr(4), a), a.int(2), nMove);
}

const OPS: Record<number, (old: number, arg: number) => number> = {
  0: (_, arg) => arg, // SET
  1: (old, arg) => old + arg, // ADD
  2: (old, arg) => old | arg, // OR
  3: (old, arg) => old & ~arg, // ANDN
  4: (old, arg) => old ^ arg, // XOR
};
const CMPS: Record<number, (old: number, arg: number) => boolean> = {
  0: (o, c) => o === c,
  1: (o, c) => o !== c,
  2: (o, c) => o < c,
  3: (o, c) => o <= c,
  4: (o, c) => o > c,
  5: (o, c) => o >= c,
};

/**
 * FUTEX_WAKE_OP: *uaddr2 = op(*uaddr2, oparg); wake val waiters on uaddr,
 * and if cmp(old *uaddr2, cmparg) also val2 waiters on uaddr2.
 */
function wakeOp(t: Task, a: SyscallArgs): number {
  const enc = a.uint(5);
  const opcode = (enc >>> 28) & 0x7;
  const shift = (enc >>> 28) & 0x8;
  const cmp = (enc >>> 24) & 0xf;
  let oparg = (enc << 8) >> 20; // sign-extended 12 bits
  const cmparg = (enc << 20) >> 20;
  if (shift) oparg = 1 << (oparg & 31);
  const op = OPS[opcode] ?? fail('ENOSYS', `wake_op op ${opcode}`);
  const test = CMPS[cmp] ?? fail('ENOSYS', `wake_op cmp ${cmp}`);
  const addr2 = a.ptr(4);
  const old = word(t, addr2) | 0;
  const next = Buffer.alloc(4);
  next.writeInt32LE(op(old, oparg) | 0);
  t.mem.write(addr2, next);
  let n = t.kernel.futexes.wake(key(t, a.ptr(0), a), a.int(2));
  if (test(old, cmparg)) n += t.kernel.futexes.wake(key(t, addr2, a), Number(a.u64(3) & 0x7fffffffn));
  return n;
}

const ANY = 0xffffffff;

function futex(t: Task, a: SyscallArgs): number {
  switch (a.int(1) & FUTEX_CMD_MASK) {
    case FUTEX.WAIT:
      return wait(t, a, ANY, false);
    case FUTEX.WAIT_BITSET:
      return wait(t, a, a.uint(5), true);
    case FUTEX.WAKE:
      return wake(t, a, ANY);
    case FUTEX.WAKE_BITSET:
      return wake(t, a, a.uint(5));
    case FUTEX.REQUEUE:
      return requeue(t, a, false);
    case FUTEX.CMP_REQUEUE:
      return requeue(t, a, true);
    case FUTEX.WAKE_OP:
      return wakeOp(t, a);
    default:
      return fail('ENOSYS', `futex op ${a.int(1)} (priority-inheritance futexes are not supported)`);
  }
}

export const futexSyscalls: FamilyRows = {
  futex: partial(futex, 'shared futexes across processes only in MAP_SHARED memory (anonymous, System V segments, shared file mappings); no priority inheritance'),
};
