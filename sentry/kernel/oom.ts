/**
 * oom_score_adj (proc(5) /proc/[pid]/oom_score_adj) and the badness the
 * OOM killer ranks processes by (Linux's oom_badness): resident pages
 * plus oom_score_adj thousandths of the memory it may use. A process at
 * -1000 is never chosen. Writes follow Linux's rules: a value in
 * [-1000, 1000] in C's integer syntax; going below the floor a privileged
 * writer last set (signal->oom_score_adj_min) needs CAP_SYS_RESOURCE, and
 * such a writer's value becomes the floor. Not supported: the legacy
 * /proc/[pid]/oom_adj file.
 */
import { CAP } from '../abi/linux/capability';
import { fail } from '../errors/linuxerr';
import type { Process, Task } from './task';

export const OOM_SCORE_ADJ_MIN = -1000;
export const OOM_SCORE_ADJ_MAX = 1000;
const PAGE = 4096;

/** Whether `v` is an oom_score_adj Linux takes: an integer in [-1000, 1000]. */
export function isOomScoreAdj(v: number): boolean {
  return Number.isInteger(v) && v >= OOM_SCORE_ADJ_MIN && v <= OOM_SCORE_ADJ_MAX;
}

/** The text written to oom_score_adj as kstrtoint reads it (base 0: decimal, 0x hex, 0 octal), range-checked. */
export function parseOomScoreAdj(text: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text.trim());
  if (!m) return fail('EINVAL', `oom_score_adj ${JSON.stringify(text)}`);
  const digits = m[2];
  const magnitude = /^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits[0] === '0' ? parseInt(digits, 8) : parseInt(digits, 10);
  const v = m[1] === '-' && magnitude !== 0 ? -magnitude : magnitude;
  if (v > 2 ** 31 - 1 || v < -(2 ** 31)) return fail('ERANGE', `oom_score_adj ${text.trim()} overflows an int`);
  if (!isOomScoreAdj(v)) return fail('EINVAL', `oom_score_adj ${v} out of range`);
  return v;
}

/** `writer` sets the oom_score_adj of `p`. */
export function setOomScoreAdj(p: Process, value: number, writer: Task): void {
  const privileged = writer.process.creds.hasCap(CAP.SYS_RESOURCE);
  if (value < p.oomScoreAdjMin && !privileged) fail('EACCES', `oom_score_adj ${value} is below ${p.oomScoreAdjMin} without CAP_SYS_RESOURCE`);
  p.oomScoreAdj = value;
  if (privileged) p.oomScoreAdjMin = value;
}

/** Badness in pages for `residentBytes` and `adj` when `allowedBytes` may be used; undefined for a process never to kill. */
export function badness(residentBytes: number, adj: number, allowedBytes: number): number | undefined {
  if (adj === OOM_SCORE_ADJ_MIN) return undefined;
  const total = Math.floor(allowedBytes / PAGE);
  return Math.floor(residentBytes / PAGE) + Math.trunc((adj * total) / 1000);
}

/** /proc/[pid]/oom_score: the badness scaled to 0-2000 and then by 2/3, as Linux 5.9+ shows it (0 at -1000). */
export function oomScore(residentBytes: number, adj: number, totalBytes: number): number {
  const points = badness(residentBytes, adj, totalBytes);
  if (points === undefined) return 0;
  const total = Math.max(1, Math.floor(totalBytes / PAGE));
  return Math.trunc(((1000 + Math.trunc((points * 1000) / total)) * 2) / 3);
}
