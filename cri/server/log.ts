/** Leveled one-line logging to stderr (kubelet-style runtimes log to their journal). */
import type { LogLevel } from '../config';

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const at = (l: LogLevel) => (msg: string) => {
    if (RANK[l] <= RANK[level]) write(`${new Date().toISOString()} ${l.toUpperCase()} ${msg}\n`);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
