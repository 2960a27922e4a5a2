/**
 * Root file systems for the test images, made from host files: Debian's
 * statically linked busybox with a link per applet, small static C programs
 * (compiled here with gcc), dynamically linked host programs with the shared
 * libraries and loader ldd names, and /etc files written by the code.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, scratchDir } from '../syscalls/harness';
import { TarEntry } from './tar';

export const BUSYBOX = '/bin/busybox';

export interface User {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface Group {
  name: string;
  gid: number;
  members?: string[];
}

/** The accounts of the busybox image critest's tests are written against (www-data is used by name). */
export const BASE_USERS: User[] = [
  { name: 'root', uid: 0, gid: 0, home: '/root' },
  { name: 'daemon', uid: 1, gid: 1, home: '/usr/sbin' },
  { name: 'www-data', uid: 33, gid: 33, home: '/var/www' },
  { name: 'nobody', uid: 65534, gid: 65534, home: '/home' },
];

export const BASE_GROUPS: Group[] = [
  { name: 'root', gid: 0 },
  { name: 'daemon', gid: 1 },
  { name: 'www-data', gid: 33 },
  { name: 'nogroup', gid: 65534 },
];

export function passwd(users: readonly User[]): string {
  return users.map((u) => `${u.name}:x:${u.uid}:${u.gid}:${u.name}:${u.home}:/bin/sh\n`).join('');
}

export function group(groups: readonly Group[]): string {
  return groups.map((g) => `${g.name}:x:${g.gid}:${(g.members ?? []).join(',')}\n`).join('');
}

/** `busybox`'s applets as "dir/name" paths (`busybox --list-full`), sorted. */
function applets(busybox: string): string[] {
  const r = spawnSync(busybox, ['--list-full'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${busybox} --list-full failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((p) => p.includes('/') && p !== 'bin/busybox')
    .sort();
}

/** Sorts entries by path, which puts every directory before its contents. */
export function sorted(entries: TarEntry[]): TarEntry[] {
  return [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function dirs(paths: readonly string[], mode = 0o755): TarEntry[] {
  return paths.map((p) => ({ type: 'dir', path: p, mode }));
}

export function file(p: string, data: Buffer | string, mode = 0o644): TarEntry {
  return { type: 'file', path: p, data, mode };
}

/**
 * A busybox root: /bin/busybox (`busybox`, Debian's static one by default),
 * one relative symlink per applet (relative, so that a symlink wrongly
 * resolved against the host cannot reach the host's own busybox),
 * /etc/passwd and /etc/group, /tmp with mode 1777.
 */
export function busyboxRoot(users: readonly User[] = BASE_USERS, groups: readonly Group[] = BASE_GROUPS, busybox = BUSYBOX): TarEntry[] {
  const entries: TarEntry[] = [
    ...dirs(['bin', 'dev', 'etc', 'home', 'proc', 'sbin', 'sys', 'usr', 'usr/bin', 'usr/sbin', 'var', 'var/run', 'var/www']),
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    file('bin/busybox', fs.readFileSync(busybox), 0o755),
    file('etc/passwd', passwd(users)),
    file('etc/group', group(groups)),
    file('etc/hostname', 'tsvisor-image\n'),
  ];
  for (const a of applets(busybox)) {
    const up = '../'.repeat(a.split('/').length - 1);
    entries.push({ type: 'symlink', path: a, target: `${up}bin/busybox` });
  }
  return sorted(entries);
}

const compiled = new Map<string, Buffer>();

/** e2e/images/c/NAME.c compiled statically and stripped (once per process). */
export function staticProgram(name: string): Buffer {
  const cached = compiled.get(name);
  if (cached !== undefined) return cached;
  const src = path.join(REPO_ROOT, 'e2e', 'images', 'c', `${name}.c`);
  const out = path.join(scratchDir(), `image-${name}`);
  const r = spawnSync('/usr/bin/gcc', ['-O2', '-Wall', '-static', '-s', '-o', out, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${name}.c failed:\n${r.stderr}`);
  const bin = fs.readFileSync(out);
  compiled.set(name, bin);
  return bin;
}

/** The shared libraries and dynamic loader `binary` loads, from ldd: absolute paths on this machine. */
export function sharedLibraries(binary: string): string[] {
  const r = spawnSync('/usr/bin/ldd', [binary], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ldd ${binary} failed: ${r.stderr}`);
  return [...r.stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]);
}

/**
 * `binary`'s shared libraries and loader as files at the same paths in the
 * image (symlinks such as /lib64/ld-linux-x86-64.so.2 become copies of their target).
 */
export function sharedLibraryFiles(binary: string): TarEntry[] {
  return sharedLibraries(binary).map((lib) => file(lib.slice(1), fs.readFileSync(lib), 0o755));
}

/** Directory entries for every parent of the entries' paths not already listed. */
function parents(entries: readonly TarEntry[]): TarEntry[] {
  const have = new Set(entries.map((e) => e.path));
  const need = new Set<string>();
  for (const e of entries) {
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (!have.has(p)) need.add(p);
    }
  }
  return dirs([...need]);
}

/** The entries with their missing parent directories, the first entry of each path only, sorted. */
export function completeTree(entries: readonly TarEntry[]): TarEntry[] {
  const all = [...entries, ...parents(entries)];
  return sorted(all.filter((e, i) => all.findIndex((o) => o.path === e.path) === i));
}
