/**
 * ABI facts from the real C library: compiles a C program that prints
 * `name value` lines (sizes, offsets, constants) and returns them, so
 * layout tests compare our tables with what gcc and glibc say. gcc is a
 * test dependency (scripts/setup-test-deps.sh): a missing compiler fails
 * the test rather than skipping it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function nativeValues(source: string, args: (dir: string) => string[] = () => []): Map<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'abi-'));
  try {
    writeFileSync(join(dir, 'abi.c'), source);
    execFileSync('gcc', ['-o', join(dir, 'abi'), join(dir, 'abi.c')]);
    const out = execFileSync(join(dir, 'abi'), args(dir)).toString().trim().split('\n');
    return new Map(out.map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
