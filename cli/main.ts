/**
 * The tsvisor command line: a thin dispatcher to one file per verb.
 */
import { UsageError } from './flags';
import { doCommand, DO_USAGE } from './do';
import { syscallsCommand } from './syscalls';

const USAGE = `usage: tsvisor <command> [flags]

commands:
  do        run a command in a new sandbox (like runsc do)
  syscalls  print the Sentry's syscall table (--json for JSON)

${DO_USAGE}`;

export function main(argv: string[]): void {
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case 'do':
        doCommand(rest);
        return;
      case 'syscalls':
        syscallsCommand(rest);
        return;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(USAGE);
        return;
      default:
        throw new UsageError(`unknown command: ${verb}`);
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`tsvisor: ${e.message} (see 'tsvisor --help')\n`);
    process.exitCode = 2;
  }
}
