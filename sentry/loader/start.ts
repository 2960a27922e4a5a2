/**
 * Starting a sandbox's first program (and a pod's container or exec'd
 * process): its working directory, and exec with PATH search as execvp
 * does, reporting failures with the exit codes shells use.
 */
import { Errno } from '../abi/linux/errno';
import { LinuxError } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import { execImage } from './exec';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A program that could not start: 127 not found, 126 found but not runnable. */
export interface StartFailure {
  code: number;
  message: string;
}

export function setInitialCwd(t: Task, cwd: string): void {
  try {
    t.process.mounts.openPath(t, cwd, 0o200000 /* O_DIRECTORY */).decRef();
    t.process.fs.cwd = cwd;
  } catch {
    t.process.fs.cwd = '/';
  }
}

/**
 * Execs the command (searching PATH like execvp when it has no slash).
 * Returns an exit for a command that cannot start: 127 when not found,
 * 126 when found but not executable, as shells report.
 */
export function startProgram(t: Task, argv: string[], envp: string[]): StartFailure | undefined {
  const cmd = argv[0];
  const path = envp.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  const candidates = cmd.includes('/') ? [cmd] : path.split(':').map((d) => `${d || '.'}/${cmd}`);
  let denied: LinuxError | undefined;
  for (const c of candidates) {
    try {
      execImage(t, c, argv, envp);
      return undefined;
    } catch (e) {
      if (!(e instanceof LinuxError)) throw e;
      if (e.errno === Errno.ENOENT || e.errno === Errno.ENOTDIR) continue;
      if (e.errno === Errno.EACCES && !cmd.includes('/')) {
        denied = e;
        continue;
      }
      return { code: 126, message: `${cmd}: ${describe(e)}` };
    }
  }
  if (denied) return { code: 126, message: `${cmd}: ${describe(denied)}` };
  return { code: 127, message: `${cmd}: ${cmd.includes('/') ? 'no such file or directory' : 'command not found'}` };
}

function describe(e: LinuxError): string {
  switch (e.errno) {
    case Errno.EACCES:
      return 'permission denied';
    case Errno.ENOEXEC:
      return 'exec format error';
    case Errno.E2BIG:
      return 'argument list too long';
    case Errno.ENOMEM:
      return 'cannot allocate memory';
    default:
      return e.message;
  }
}
