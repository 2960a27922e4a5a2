/**
 * A container's seccomp filter, as containerd chooses it: the security
 * context's `seccomp` (RuntimeDefault: runtime/seccomp-default.ts;
 * Localhost: the JSON profile at the absolute path `localhost_ref`;
 * Unconfined), else the older `seccomp_profile_path` ("runtime/default",
 * "docker/default", "unconfined", "localhost/<path>"), else none. The
 * profile is compiled here for the container's capabilities (its
 * bounding set) and the Sentry installs the program on the container's
 * processes (ProcessSpec.seccomp, base64 struct sock_filter).
 * A profile that cannot be read or compiled fails the request with
 * INVALID_ARGUMENT.
 */
import fs from 'node:fs';
import path from 'node:path';
import { encodeProgram } from '../../sentry/kernel/seccomp/bpf';
import { compileProfile, type SeccompProfile } from '../../sentry/kernel/seccomp/profile';
import * as t from '../proto/types';
import { invalidArgument } from '../server/errors';
import { runtimeDefaultProfile } from './seccomp-default';

/** The version the emulated kernel reports (rules with minKernel compare with it). */
const KERNEL: [number, number] = [4, 4];

type Choice = { kind: 'none' } | { kind: 'default' } | { kind: 'localhost'; file: string };

function choose(sc: t.LinuxContainerSecurityContext | null | undefined): Choice {
  if (sc?.seccomp) {
    switch (sc.seccomp.profile_type) {
      case t.SecurityProfile_ProfileType.RuntimeDefault:
        return { kind: 'default' };
      case t.SecurityProfile_ProfileType.Unconfined:
        return { kind: 'none' };
      case t.SecurityProfile_ProfileType.Localhost:
        return { kind: 'localhost', file: sc.seccomp.localhost_ref };
      default:
        throw invalidArgument(`unknown seccomp profile type ${sc.seccomp.profile_type as number}`);
    }
  }
  const p = sc?.seccomp_profile_path ?? '';
  if (p === '' || p === 'unconfined') return { kind: 'none' };
  if (p === 'runtime/default' || p === 'docker/default') return { kind: 'default' };
  if (p.startsWith('localhost/')) return { kind: 'localhost', file: p.slice('localhost/'.length) };
  throw invalidArgument(`seccomp profile ${JSON.stringify(p)} is not runtime/default, docker/default, unconfined or localhost/<path>`);
}

function readProfile(file: string): SeccompProfile {
  if (!path.isAbsolute(file)) throw invalidArgument(`seccomp profile ${JSON.stringify(file)} is not an absolute path`);
  let profile: unknown;
  try {
    profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw invalidArgument(`cannot load seccomp profile ${file}: ${(e as Error).message}`);
  }
  if (typeof profile !== 'object' || profile === null || typeof (profile as SeccompProfile).defaultAction !== 'string') {
    throw invalidArgument(`seccomp profile ${file} has no defaultAction`);
  }
  return profile as SeccompProfile;
}

/** The filter program (base64 struct sock_filter) for a container with these bounding capabilities, or undefined. */
export function seccompOf(sc: t.LinuxContainerSecurityContext | null | undefined, caps: readonly string[]): string | undefined {
  const c = choose(sc);
  if (c.kind === 'none') return undefined;
  const profile = c.kind === 'default' ? runtimeDefaultProfile() : readProfile(c.file);
  try {
    return encodeProgram(compileProfile(profile, { caps, kernel: KERNEL })).toString('base64');
  } catch (e) {
    throw invalidArgument(`seccomp profile ${c.kind === 'localhost' ? c.file : 'RuntimeDefault'}: ${(e as Error).message}`);
  }
}
