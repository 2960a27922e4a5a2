/**
 * The Sentry's --debug-log FILE (`do` and a pod's `sandbox`): lines are
 * appended with a timestamp. The file is opened before anything starts, so
 * a path that cannot be opened is a usage error, and no Gofer or stub has
 * been started that would have to be cleaned up.
 */
import { openSync, writeSync } from 'node:fs';
import { UsageError } from './flags';

export type DebugLog = (line: string) => void;

/** The logger for `--debug-log path`, or undefined without the flag; UsageError when the file cannot be opened for appending. */
export function openDebugLog(path: string | undefined): DebugLog | undefined {
  if (path === undefined) return undefined;
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`--debug-log ${path}: cannot open (${err.code ?? err.message})`);
  }
  return (line) => writeSync(fd, `${new Date().toISOString()} ${line}\n`);
}
