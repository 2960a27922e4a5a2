/**
 * `#!` interpreter lines, parsed as fs/binfmt_script.c does from the first
 * BINPRM_BUF_SIZE bytes: the interpreter name ends at the first space, tab
 * or NUL; everything after the following blanks, up to the end of the line
 * minus trailing blanks, is one optional argument.
 */
import { fail } from '../errors/linuxerr';

export interface Shebang {
  interp: string;
  arg?: string;
}

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;
const isTerminator = (c: number): boolean => isBlank(c) || c === 0;

export function isScript(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x23 && head[1] === 0x21;
}

/** Parses the `#!` line of `head` (the zero-padded BINPRM_BUF_SIZE buffer); ENOEXEC when there is no usable name. */
export function parseShebang(head: Buffer): Shebang {
  let end = head.indexOf(0x0a);
  if (end < 0) {
    const last = head.length - 1;
    let i = 2;
    while (i <= last && isBlank(head[i])) i++;
    if (i > last) fail('ENOEXEC', '#! line is all blanks');
    let t = i;
    while (t <= last && !isTerminator(head[t])) t++;
    if (t > last) fail('ENOEXEC', '#! interpreter name truncated');
    end = last;
  }
  while (end > 2 && isBlank(head[end - 1])) end--;
  let name = 2;
  while (name < end && isBlank(head[name])) name++;
  if (name >= end) fail('ENOEXEC', 'no #! interpreter name');
  let sep = name;
  while (sep < end && !isTerminator(head[sep])) sep++;
  const interp = head.subarray(name, sep).toString('utf8');
  if (sep >= end || head[sep] === 0) return { interp };
  let a = sep;
  while (a < end && isBlank(head[a])) a++;
  if (a >= end) return { interp };
  const argBytes = head.subarray(a, end);
  const nul = argBytes.indexOf(0);
  return { interp, arg: (nul < 0 ? argBytes : argBytes.subarray(0, nul)).toString('utf8') };
}
