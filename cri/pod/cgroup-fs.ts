// Reading and writing cgroupfs control files, shared by the v1 and v2 drivers.
import * as fs from 'fs';
import * as path from 'path';

/** A control file's contents, or undefined when it does not exist (controller absent). */
export function readOptional(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** A single-number file (memory.current, cpuacct.usage, …); 0n when absent. */
export function readBigInt(file: string): bigint {
  const t = readOptional(file)?.trim();
  return t === undefined || t === '' || t === 'max' ? 0n : BigInt(t);
}

/** `key value` lines (memory.stat, cpu.stat, memory.events, memory.oom_control). */
export function readKeyed(file: string): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const line of (readOptional(file) ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) m.set(k, BigInt(v));
  }
  return m;
}

export function writeControl(file: string, value: string): void {
  try {
    fs.writeFileSync(file, value);
  } catch (e) {
    throw new Error(`writing ${JSON.stringify(value)} to ${file}: ${(e as Error).message}`);
  }
}

/** Pids in cgroup.procs of `dir` and every cgroup below it. */
export function subtreePids(dir: string): number[] {
  const pids: number[] = [];
  const walk = (d: string): void => {
    for (const l of (readOptional(path.join(d, 'cgroup.procs')) ?? '').split('\n')) if (l.trim() !== '') pids.push(Number(l));
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(dir);
  return pids;
}

/** Removes `dir` and the cgroups below it, deepest first. A cgroup directory holds only
 *  kernel control files, which rmdir takes along; a plain directory (a test's fake
 *  cgroupfs) has its files removed first. Missing is fine. */
export function removeCgroupDir(dir: string): void {
  let entries: fs.Dirent[];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) if (e.isDirectory()) removeCgroupDir(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'ENOTEMPTY') throw new Error(`removing cgroup ${dir}: ${(e as Error).message}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A CRI int64 field: undefined for unset ('' or '0', as kubelet leaves them), else a bigint. */
export function int64Field(name: string, v: string | undefined): bigint | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new Error(`invalid ${name} ${JSON.stringify(v)}: not a decimal integer`);
  const n = BigInt(v);
  return n === 0n ? undefined : n;
}

/** A cpuset list such as "0-3,6": digits, commas and dashes only. */
export function cpusetField(name: string, v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) throw new Error(`invalid ${name} ${JSON.stringify(v)}: not a cpu/node list like 0-3,6`);
  return v;
}
