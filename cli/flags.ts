/**
 * A small, strict flag parser: `--name=value`, `--name value` and boolean
 * `--name`; the first non-flag argument (or everything after `--`) is the
 * command. Unknown flags and bad values are errors, never ignored.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  /** Boolean flags take no value. */
  readonly boolean: ReadonlySet<string>;
  readonly valued: ReadonlySet<string>;
}

export interface Parsed {
  flags: Map<string, string | true>;
  rest: string[];
}

export function parseFlags(args: readonly string[], spec: FlagSpec): Parsed {
  const flags = new Map<string, string | true>();
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('--')) break;
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (spec.boolean.has(name)) {
      if (eq >= 0) throw new UsageError(`flag --${name} takes no value`);
      flags.set(name, true);
    } else if (spec.valued.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || value === '') throw new UsageError(`flag --${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new UsageError(`unknown flag: ${arg}`);
    }
  }
  return { flags, rest: args.slice(i) };
}
