/**
 * What a container runs, from its image config and its CRI config, with
 * Kubernetes' rules: `command` replaces the image's Entrypoint (and then
 * the image's Cmd is dropped), `args` replaces Cmd; CRI envs override the
 * image's; the working dir falls back to the image's, then /; the user is
 * run_as_user/run_as_username, else the image's User ("uid", "uid:gid",
 * "name", "name:group", resolved in the image's /etc/passwd and
 * /etc/group), else root; the capabilities and the seccomp filter as
 * containerd derives them (capabilities.ts, seccomp.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ImageConfig } from '../image/store';
import type * as t from '../proto/types';
import type { ProcessSpec } from '../../sentry/control/protocol';
import { invalidArgument } from '../server/errors';
import { capabilitiesOf } from './capabilities';
import { seccompOf } from './seccomp';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function commandOf(image: ImageConfig, c: Pick<t.ContainerConfig, 'command' | 'args'>): string[] {
  const entrypoint = c.command.length ? c.command : image.Entrypoint ?? [];
  const args = c.args.length ? c.args : c.command.length ? [] : image.Cmd ?? [];
  return [...entrypoint, ...args];
}

/** Image env, then CRI envs (a later key replaces an earlier one in place); PATH defaulted. */
export function envOf(image: ImageConfig, envs: t.KeyValue[]): string[] {
  const env = new Map<string, string>();
  for (const e of image.Env ?? []) {
    const eq = e.indexOf('=');
    env.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
  }
  for (const kv of envs) env.set(kv.key, kv.value);
  const out = [...env.entries()].map(([k, v]) => `${k}=${v}`);
  return env.has('PATH') ? out : [DEFAULT_PATH, ...out];
}

interface Identity {
  uid: number;
  gid: number;
  groups: number[];
}

/** Lines of a colon-separated database (passwd, group) in the image root, never following links out of it. */
function readDb(rootfs: string, file: string): string[][] {
  const p = path.join(rootfs, 'etc', file);
  try {
    if (fs.lstatSync(p).isSymbolicLink()) return [];
    return fs.readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

const isNumeric = (s: string): boolean => /^\d+$/.test(s);

function lookupGroup(rootfs: string, g: string): number {
  if (isNumeric(g)) return Number(g);
  const row = readDb(rootfs, 'group').find((r) => r[0] === g);
  if (!row) throw invalidArgument(`group ${JSON.stringify(g)} not found in the image's /etc/group`);
  return Number(row[2]);
}

/** Supplementary groups of a user name, from the image's /etc/group. */
function groupsOf(rootfs: string, name: string | undefined): number[] {
  if (!name) return [];
  return readDb(rootfs, 'group')
    .filter((r) => (r[3] ?? '').split(',').includes(name))
    .map((r) => Number(r[2]));
}

/** Resolves "user[:group]" against the image's databases. */
export function resolveUser(rootfs: string, spec: string): Identity {
  const [user, group] = spec.split(':', 2);
  let uid: number;
  let gid = 0;
  let name: string | undefined;
  const row = readDb(rootfs, 'passwd').find((r) => (isNumeric(user) ? r[2] === user : r[0] === user));
  if (isNumeric(user)) {
    uid = Number(user);
    if (row) {
      gid = Number(row[3]);
      name = row[0];
    }
  } else {
    if (!row) throw invalidArgument(`user ${JSON.stringify(user)} not found in the image's /etc/passwd`);
    uid = Number(row[2]);
    gid = Number(row[3]);
    name = row[0];
  }
  if (group !== undefined && group !== '') gid = lookupGroup(rootfs, group);
  return { uid, gid, groups: groupsOf(rootfs, name) };
}

export function identityOf(rootfs: string, image: ImageConfig, sc: t.LinuxContainerSecurityContext | null): Identity {
  // As containerd: a group alone would pair with whatever user the image names, which the pod spec did not choose.
  if (sc?.run_as_group && !sc.run_as_user && !sc.run_as_username) throw invalidArgument('run_as_group is set without run_as_user or run_as_username');
  let id: Identity;
  if (sc?.run_as_user) id = resolveUser(rootfs, sc.run_as_user.value);
  else if (sc?.run_as_username) id = resolveUser(rootfs, sc.run_as_username);
  else if (image.User) id = resolveUser(rootfs, image.User);
  else id = resolveUser(rootfs, '0');
  if (sc?.run_as_group) id = { ...id, gid: Number(sc.run_as_group.value) };
  const extra = (sc?.supplemental_groups ?? []).map(Number);
  return { ...id, groups: [...new Set([...id.groups, ...extra])] };
}

export function processSpecOf(rootfs: string, image: ImageConfig, c: t.ContainerConfig): ProcessSpec {
  const argv = commandOf(image, c);
  if (argv.length === 0) throw invalidArgument('no command specified: neither the container config nor the image has one');
  const cwd = c.working_dir || image.WorkingDir || '/';
  if (!cwd.startsWith('/')) throw invalidArgument(`working dir ${JSON.stringify(cwd)} is not absolute`);
  const sc = c.linux?.security_context ?? null;
  const capabilities = capabilitiesOf(sc?.capabilities);
  return {
    argv, envp: envOf(image, c.envs), cwd, ...identityOf(rootfs, image, sc), noNewPrivs: sc?.no_new_privs ?? false,
    capabilities, seccomp: seccompOf(sc, capabilities.bounding),
  };
}
