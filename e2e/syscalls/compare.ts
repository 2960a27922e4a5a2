/**
 * Assertions comparing a sandboxed run with the same command run natively:
 * byte-identical stdout and the same exit code.
 */
import * as assert from 'assert';
import { describeRun, hasStackTrace, native, RunOptions, RunResult, sandboxed } from './harness';

export interface Pair {
  native: RunResult;
  sandbox: RunResult;
}

/** Where two buffers first differ, with a little context, or -1. */
function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function around(buf: Buffer, at: number): string {
  return JSON.stringify(buf.subarray(Math.max(0, at - 40), at + 40).toString('utf8'));
}

/** Asserts that `r` produced exactly `expected` on stdout and exited with `code`. */
/**
 * Throws unless a native run printed each of `lines`: a few anchors, so
 * that a native run that went wrong is never the reference a sandbox run
 * is compared with.
 */
export function expectNativeLines(stdout: Buffer, lines: readonly string[]): void {
  for (const line of lines) if (!stdout.toString().includes(line)) throw new Error(`native run lacks ${JSON.stringify(line)}:\n${stdout}`);
}

export function assertOutput(r: RunResult, expected: Buffer | string, code = 0): void {
  const want = typeof expected === 'string' ? Buffer.from(expected) : expected;
  const at = firstDifference(r.stdout, want);
  assert.ok(at < 0, `stdout differs at byte ${at}: got ${around(r.stdout, at)}, want ${around(want, at)}\n${describeRun(r)}`);
  assert.strictEqual(r.code, code, `exit code\n${describeRun(r)}`);
}

/**
 * Runs `argv` natively and in the sandbox; asserts the native run succeeded
 * (exit `nativeCode`, stdout `expected` when given) and the sandbox matched it
 * byte for byte.
 */
export function sameAsNative(argv: string[], o: RunOptions = {}, expected?: Buffer | string, nativeCode = 0): Pair {
  const { rootfs, overlay, hostname, strace, rawFlags, ...hostOpts } = o;
  const n = native(argv, hostOpts);
  assert.strictEqual(n.code, nativeCode, `native run\n${describeRun(n)}`);
  if (expected !== undefined) assertOutput(n, expected, nativeCode);
  const s = sandboxed(argv, { rootfs, overlay, hostname, strace, rawFlags, ...hostOpts });
  assertOutput(s, n.stdout, n.code);
  return { native: n, sandbox: s };
}

/** A clean failure: the given code and a single line on stderr, no stack trace. */
export function assertCleanError(r: RunResult, code: number): void {
  assert.strictEqual(r.code, code, describeRun(r));
  assert.ok(!hasStackTrace(r.stderr), `stack trace on stderr\n${describeRun(r)}`);
  assert.strictEqual(r.stderr.trimEnd().split('\n').length, 1, `want one stderr line\n${describeRun(r)}`);
  assert.ok(r.stderr.trim().length > 0, `want an error message\n${describeRun(r)}`);
}
