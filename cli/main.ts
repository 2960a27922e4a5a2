/**
 * The tsvisor command line: a thin dispatcher to one file per verb.
 */
import { UsageError } from './flags';

// Verbs are loaded on demand: `do` starts its Gofer before the Sentry's modules load.
const loadDo = () => require('./do') as typeof import('./do');
const loadSyscalls = () => require('./syscalls') as typeof import('./syscalls');
const loadCri = () => require('./cri') as typeof import('./cri');
const loadSandbox = () => require('./sandbox') as typeof import('./sandbox');

const usage = () => `usage: tsvisor <command> [flags]

commands:
  do        run a command in a new sandbox (like runsc do)
  syscalls  print the Sentry's syscall table (--json for JSON)
  cri       serve the Kubernetes CRI (kubelet's runtime endpoint); see 'tsvisor cri --help'
  sandbox   a pod's Sentry, controlled by the CRI server (internal)

${loadDo().DO_USAGE}`;

export function main(argv: string[]): void {
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case 'do':
        loadDo().doCommand(rest);
        return;
      case 'cri':
        loadCri().criCommand(rest);
        return;
      case 'syscalls':
        loadSyscalls().syscallsCommand(rest);
        return;
      case 'sandbox':
        loadSandbox().sandboxCommand(rest);
        return;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(usage());
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
