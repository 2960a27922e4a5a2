// Paths of the cri-tools binaries that scripts/setup-cri-deps.sh builds.
// Kept in step with the script: same cache root, same version key.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CRI_TOOLS_VERSION = 'v1.34.0';

/** The directory holding crictl and critest, keyed by version. */
export function criToolsBinDir(): string {
  const cache = process.env.TSVISOR_TEST_CACHE || '/var/cache/tsvisor-test';
  return path.join(cache, `cri-tools-${CRI_TOOLS_VERSION}`, 'bin');
}

function tool(name: string): string {
  const p = path.join(criToolsBinDir(), name);
  try {
    fs.accessSync(p, fs.constants.X_OK);
  } catch {
    throw new Error(`${name} ${CRI_TOOLS_VERSION} not found at ${p}: run scripts/setup-cri-deps.sh`);
  }
  return p;
}

export function crictlPath(): string {
  return tool('crictl');
}

export function critestPath(): string {
  return tool('critest');
}
