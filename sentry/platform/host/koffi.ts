/**
 * koffi, the one FFI library, loaded for every module that calls libc.
 *
 * The package's own entry (koffi/index.cjs) spends ~9 ms of each process
 * start before its native module is loaded: resolving the package's
 * conditional exports brings in Node's ESM resolver, and it opens the Node
 * binary twice to read its ELF headers (glibc or musl?). The Sentry and the
 * Gofer both start on the path of every sandbox, so this loads the prebuilt
 * native module directly (~1.5 ms) when it lies where the package looks
 * first, beside it in the same node_modules, and reports the package's
 * version. The JS entry adds nothing tsvisor uses (deprecated aliases).
 * Any other case (no prebuilt for this platform, a musl host, where the
 * glibc build does not load, a version mismatch) goes through the package.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

type Koffi = typeof import('koffi');

/** The glibc prebuild in koffi's per-platform package, relative to node_modules: @koromix/koffi-linux-x64/linux_x64/koffi.node on this host. */
const PREBUILT = path.join('@koromix', `koffi-${process.platform}-${process.arch}`, `${process.platform}_${process.arch}`, 'koffi.node');

/** koffi's version in the node_modules directory `dir`, if it has the package. */
function packageVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'koffi', 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The native module from the first of `dirs` (node_modules directories, Node's search order) that has koffi, if it loads and matches. */
export function loadPrebuilt(dirs: readonly string[] = module.paths): Koffi | undefined {
  for (const dir of dirs) {
    const version = packageVersion(dir);
    if (version === undefined) continue;
    const native = { exports: {} as Koffi };
    try {
      process.dlopen(native, path.join(dir, PREBUILT));
    } catch {
      return undefined;
    }
    return native.exports.version === version ? native.exports : undefined;
  }
  return undefined;
}

const koffi: Koffi = loadPrebuilt() ?? (require('koffi') as Koffi);
export default koffi;
