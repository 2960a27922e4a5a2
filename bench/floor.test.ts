import * as assert from 'assert';
import { spawnSync } from 'child_process';
import { compileC } from '../e2e/syscalls/harness';

/** Runs argv under e2e/syscalls/c/ptrace_floor.c, the syscall benchmark's floor. */
function underFloor(argv: string[]): { status: number | null; stdout: string; stderr: string; pid: number } {
  const r = spawnSync(compileC('ptrace_floor'), argv, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, pid: r.pid };
}

describe('bench ptrace floor: a minimal PTRACE_SYSEMU tracer in C', () => {
  it('emulates every getppid of the loop and runs the rest on the host', () => {
    const r = underFloor([compileC('getppid_loop'), '1000']);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /^N 1000 ns \d+\n$/);
    assert.match(r.stderr, /^ptrace_floor: 1000 getppid emulated, [1-9]\d* syscalls run by the host\n$/);
  });

  it("answers getppid with the tracer's pid, as the host would", () => {
    const r = underFloor(['/bin/sh', '-c', 'echo $PPID']);
    assert.strictEqual(r.stdout, `${r.pid}\n`);
    assert.match(r.stderr, /^ptrace_floor: 1 getppid emulated/);
  });

  it("exits with the program's status, 128+n for a signal", () => {
    assert.strictEqual(underFloor(['/bin/sh', '-c', 'exit 3']).status, 3);
    assert.strictEqual(underFloor(['/bin/sh', '-c', 'kill -9 $$']).status, 137);
  });
});
