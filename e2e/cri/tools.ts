// Paths of the cri-tools binaries that scripts/setup-cri-deps.sh builds, and
// of Debian's dynamically linked busybox it unpacks. Kept in step with the
// script: same cache root, same version key.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CRI_TOOLS_VERSION = 'v1.34.0';

const cacheDir = (): string => process.env.TSVISOR_TEST_CACHE || '/var/cache/tsvisor-test';

/** The directory holding crictl and critest, keyed by version. */
export function criToolsBinDir(): string {
  return path.join(cacheDir(), `cri-tools-${CRI_TOOLS_VERSION}`, 'bin');
}

function executable(p: string, what: string): string {
  try {
    fs.accessSync(p, fs.constants.X_OK);
  } catch {
    throw new Error(`${what} not found at ${p}: run scripts/setup-cri-deps.sh`);
  }
  return p;
}

function tool(name: string): string {
  return executable(path.join(criToolsBinDir(), name), `${name} ${CRI_TOOLS_VERSION}`);
}

/** Debian's busybox (package busybox, dynamically linked, applets run through PATH). */
export function debianBusyboxPath(): string {
  return executable(path.join(cacheDir(), 'debian-busybox', 'bin', 'busybox'), "Debian's dynamically linked busybox");
}

export function crictlPath(): string {
  return tool('crictl');
}

export function critestPath(): string {
  return tool('critest');
}
