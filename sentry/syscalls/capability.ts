/**
 * capget(2)/capset(2) over the process's virtual capability sets
 * (kernel/capabilities.ts). Header versions 1 (32 bits), 2 and 3 (64
 * bits); an unknown version is EINVAL with version 3 written back, as
 * libcap expects when it probes. capset changes only the caller (pid 0 or
 * its own), with Linux's subset rules. Not supported: the sets of other
 * threads of the caller's process differ from its own (they share one).
 */
import { CAP_DATA, CAP_FULL_SET, CAP_HEADER, CAP_U32S, CAP_VERSION } from '../abi/linux/capability';
import { fail } from '../errors/linuxerr';
import { capsOnCapset } from '../kernel/capabilities';
import type { Process, Task } from '../kernel/task';
import { SyscallArgs } from './args';
import { FamilyRows, partial } from './rows';

/**
 * The header's version as a number of 32-bit words and its pid; an unknown
 * version gets version 3 written back and is undefined.
 */
function readHeader(t: Task, addr: number): { words: number | undefined; pid: number } {
  const h = t.mem.read(addr, CAP_HEADER.SIZE);
  const words = CAP_U32S[h.readUInt32LE(CAP_HEADER.VERSION)];
  if (words === undefined) {
    h.writeUInt32LE(CAP_VERSION.V3, CAP_HEADER.VERSION);
    t.mem.write(addr + CAP_HEADER.VERSION, h.subarray(0, 4));
  }
  return { words, pid: h.readInt32LE(CAP_HEADER.PID) };
}

/** The process a capget names: the caller for 0, else any thread of the sandbox (ESRCH if none). */
function target(t: Task, pid: number): Process {
  if (pid === 0) return t.process;
  return t.kernel.tasks.get(pid)?.process ?? fail('ESRCH', `pid ${pid}`);
}

/** capget(2): a NULL data pointer only probes the version (0 even for an unknown one, which gets version 3 back). */
function capget(t: Task, a: SyscallArgs): number {
  const { words, pid } = readHeader(t, a.ptr(0));
  if (a.ptr(1) === 0) return 0;
  if (words === undefined) fail('EINVAL', 'unknown capability version');
  if (pid < 0) fail('EINVAL', `pid ${pid}`);
  const caps = target(t, pid).creds.caps;
  const out = Buffer.alloc(words * CAP_DATA.SIZE);
  for (let i = 0; i < words; i++) {
    const word = (set: bigint) => Number((set >> BigInt(32 * i)) & 0xffffffffn);
    out.writeUInt32LE(word(caps.effective), i * CAP_DATA.SIZE + CAP_DATA.EFFECTIVE);
    out.writeUInt32LE(word(caps.permitted), i * CAP_DATA.SIZE + CAP_DATA.PERMITTED);
    out.writeUInt32LE(word(caps.inheritable), i * CAP_DATA.SIZE + CAP_DATA.INHERITABLE);
  }
  t.mem.write(a.ptr(1), out);
  return 0;
}

function capset(t: Task, a: SyscallArgs): number {
  const { words, pid } = readHeader(t, a.ptr(0));
  if (words === undefined) fail('EINVAL', 'unknown capability version');
  if (pid !== 0 && pid !== t.tid) fail('EPERM', 'capset of another task');
  const data = t.mem.read(a.ptr(1), words * CAP_DATA.SIZE);
  const set = (field: number): bigint => {
    let v = 0n;
    for (let i = 0; i < words; i++) v |= BigInt(data.readUInt32LE(i * CAP_DATA.SIZE + field)) << BigInt(32 * i);
    return v & CAP_FULL_SET;
  };
  const creds = t.process.creds;
  const next = capsOnCapset(creds.caps, { effective: set(CAP_DATA.EFFECTIVE), permitted: set(CAP_DATA.PERMITTED), inheritable: set(CAP_DATA.INHERITABLE) });
  creds.caps = next ?? fail('EPERM', 'capset beyond the permitted, inheritable or bounding set');
  return 0;
}

export const capabilitySyscalls: FamilyRows = {
  capget: partial(capget, 'virtual capability sets, one per process (threads share it)'),
  capset: partial(capset, 'virtual capability sets, one per process (threads share it); no file capabilities'),
};
