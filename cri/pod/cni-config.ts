// CNI network configuration (SPEC.md section 1): the first file of the conf dir in
// lexical order, as libcni picks it. A `.conf` (or `.json`) single-plugin file is a
// list of one plugin.
import * as fs from 'fs';
import * as path from 'path';

export interface PluginConf { type: string; capabilities?: Record<string, unknown>; [key: string]: unknown }
export interface NetConfList { cniVersion: string; name: string; plugins: PluginConf[]; file: string }

const EXTENSIONS = ['.conflist', '.conf', '.json'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Result formats with `ips`/`interfaces` (0.3.0 and later) are the ones this runtime reads. */
function assertSupportedVersion(v: unknown, file: string): string {
  const m = typeof v === 'string' ? /^(\d+)\.(\d+)\.(\d+)$/.exec(v) : null;
  if (!m) throw new Error(`${file}: cniVersion ${JSON.stringify(v)} is not a version`);
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major === 0 && minor < 3) throw new Error(`${file}: cniVersion ${v} is not supported (0.3.0 or later)`);
  return v as string;
}

function assertPlugin(p: unknown, file: string): PluginConf {
  if (!isObject(p)) throw new Error(`${file}: a plugin is not an object`);
  const type = p.type;
  if (typeof type !== 'string' || type === '' || type.includes('/') || type === '.' || type === '..') {
    throw new Error(`${file}: plugin type ${JSON.stringify(type)} is not a plugin name`);
  }
  return p as PluginConf;
}

/** Parses one configuration file into a plugin list; throws on anything malformed. */
export function parseNetConf(file: string, text: string): NetConfList {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw)) throw new Error(`${file}: not a JSON object`);
  if (typeof raw.name !== 'string' || raw.name === '') throw new Error(`${file}: missing network name`);
  const cniVersion = assertSupportedVersion(raw.cniVersion, file);
  if (raw.plugins !== undefined) {
    if (!Array.isArray(raw.plugins) || raw.plugins.length === 0) throw new Error(`${file}: "plugins" must be a non-empty list`);
    return { cniVersion, name: raw.name, plugins: raw.plugins.map((p) => assertPlugin(p, file)), file };
  }
  const { name, cniVersion: _v, ...plugin } = raw;
  return { cniVersion, name, plugins: [assertPlugin(plugin, file)], file };
}

/** The network of `confDir`: its first valid file in lexical order. Invalid files are
 *  skipped (as libcni does), and named in the error when none is valid. */
export function loadNetConf(confDir: string): NetConfList {
  let names: string[];
  try {
    names = fs.readdirSync(confDir).filter((n) => EXTENSIONS.includes(path.extname(n))).sort();
  } catch (e) {
    throw new Error(`no network config found in ${confDir}: ${(e as Error).message}`);
  }
  const problems: string[] = [];
  for (const n of names) {
    const file = path.join(confDir, n);
    try {
      return parseNetConf(file, fs.readFileSync(file, 'utf8'));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  throw new Error(`no valid network config found in ${confDir}${problems.length ? `: ${problems.join('; ')}` : ''}`);
}
