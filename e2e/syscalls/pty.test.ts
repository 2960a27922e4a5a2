/**
 * Terminals: the sandbox's ptys against native Linux (a C program and
 * python's pty module), and `tsvisor do --tty` driven through a host
 * pseudo-terminal by tty/drive.py, with the same keystrokes sent to the
 * same command run natively.
 */
import * as assert from 'assert';
import { join } from 'node:path';
import { assertOutput, sameAsNative } from './compare';
import { checkNoLeaks, compileC, describeRun, native, REPO_ROOT, RunResult, runnerArgv, SANDBOX } from './harness';

const PY = '/usr/bin/python3';
const DRIVE = join(REPO_ROOT, 'e2e', 'syscalls', 'tty', 'drive.py');

type Step = ['expect' | 'send' | 'resize' | 'kill' | 'settle', string];

interface Session {
  argv: string[];
  steps: Step[];
  rows?: number;
  cols?: number;
  env?: Record<string, string>;
}

/** Runs `s.argv` on a host pty (natively, or under `tsvisor do --tty`); stdout is drive.py's transcript. */
function drive(s: Session, sandbox: boolean): RunResult {
  const argv = sandbox ? runnerArgv('tsvisor', s.argv, { rawFlags: ['--tty'] }) : s.argv;
  return native([PY, DRIVE, JSON.stringify({ ...s, argv })], { timeoutSec: 120 });
}

/** The transcript drive.py prints: the terminal output (Python repr), exit status, settings check. */
function transcript(output: string, exit: number): string {
  return `${output}\nexit ${exit}\nsettings restored: True\n`;
}

describe('e2e: terminals', function () {
  this.timeout(180_000);
  checkNoLeaks();

  it('C: openpty, termios, canonical editing, echo, ONLCR, raw mode, SIGWINCH, ^C, job control, hangup', () =>
    sameAsNative([compileC('pty')]));

  it('python: pty.spawn and os.openpty', () =>
    sameAsNative(
      [PY, '-c', 'import pty,os; pty.spawn(["/bin/sh","-c","stty size; echo hi; tty >/dev/null && echo isatty"]); m,s=os.openpty(); print(os.ttyname(s).startswith("/dev/pts/"), os.isatty(s), os.get_terminal_size(s))'],
      { input: '' },
      '0 0\r\nhi\r\nisatty\r\nTrue True os.terminal_size(columns=0, lines=0)\n',
    ));

  describe('tsvisor do --tty', function () {
    before(function () {
      if (SANDBOX !== 'tsvisor') this.skip();
    });

    it('runs the command on /dev/pts/0 with the host terminal size', () => {
      const r = drive({ argv: ['/bin/sh', '-c', 'tty; stty size; ps -o sid,tty,tpgid,comm'], rows: 33, cols: 101, steps: [] }, true);
      const ps = '    SID TT         TPGID COMMAND\\r\\n      1 pts/0          1 sh\\r\\n      1 pts/0          1 ps\\r\\n';
      assertOutput(r, transcript(`b'/dev/pts/0\\r\\n33 101\\r\\n${ps}'`, 0));
    });

    it('interactive bash: prompt, echo, ^C interrupts sleep, exit — as on a host terminal', () => {
      const s: Session = {
        argv: ['/bin/bash', '--norc', '--noprofile', '-i'],
        env: { PS1: '$ ' },
        steps: [['expect', '$ '], ['send', 'echo hi\r'], ['expect', '$ '], ['send', 'sleep 20\r'], ['settle', '1'], ['send', '\u0003'], ['expect', '$ '], ['send', 'exit\r']],
      };
      const n = drive(s, false);
      const want = "b'\\x1b[?2004h$ echo hi\\r\\n\\x1b[?2004l\\rhi\\r\\n\\x1b[?2004h$ sleep 20\\r\\n\\x1b[?2004l\\r^C\\r\\n\\x1b[?2004h$ exit\\r\\n\\x1b[?2004l\\rexit\\r\\n'";
      assertOutput(n, transcript(want, 130));
      const t0 = Date.now();
      assertOutput(drive(s, true), n.stdout);
      assert.ok(Date.now() - t0 < 15_000, '^C must end sleep 20 early');
    });

    it('^C reaches a program that keeps the Sentry busy with syscalls', () => {
      const s: Session = {
        argv: ['/bin/bash', '--norc', '--noprofile', '-i'],
        env: { PS1: '$ ' },
        steps: [['expect', '$ '], ['send', 'yes >/dev/null\r'], ['settle', '1'], ['send', '\u0003'], ['expect', '$ '], ['send', 'exit\r']],
      };
      const n = drive(s, false);
      assertOutput(n, transcript("b'\\x1b[?2004h$ yes >/dev/null\\r\\n\\x1b[?2004l\\r^C\\r\\n\\x1b[?2004h$ exit\\r\\n\\x1b[?2004l\\rexit\\r\\n'", 130));
      assertOutput(drive(s, true), n.stdout);
    });

    it('a host resize reaches the sandbox as SIGWINCH and the new size', () => {
      const s: Session = {
        argv: ['/bin/sh', '-c', 'trap "stty size; exit 0" WINCH; echo ready; while :; do sleep 0.05; done'],
        steps: [['expect', 'ready'], ['resize', '40 120']],
      };
      const n = drive(s, false);
      assertOutput(n, transcript("b'ready\\r\\n40 120\\r\\n'", 0));
      assertOutput(drive(s, true), n.stdout);
    });

    it('^Z stops the foreground job of an interactive shell and fg continues it', () => {
      const s: Session = {
        argv: ['/bin/bash', '--norc', '--noprofile', '-i'],
        env: { PS1: '$ ' },
        steps: [
          ['expect', '$ '], ['send', 'sleep 1; echo woke\r'], ['settle', '0.3'], ['send', '\u001a'], ['expect', '$ '],
          ['send', 'fg >/dev/null\r'], ['expect', '$ '], ['send', 'exit\r'],
        ],
      };
      const n = drive(s, false);
      const r = drive(s, true);
      assertOutput(r, n.stdout);
      assert.ok(r.stdout.includes('Stopped'), describeRun(r));
    });

    it('the host terminal is restored when tsvisor is killed', () => {
      const s: Session = { argv: ['/bin/sh', '-c', 'echo ready; sleep 30'], steps: [['expect', 'ready'], ['kill', '15']] };
      const r = drive(s, true);
      assertOutput(r, transcript("b'ready\\r\\n'", 143));
    });
  });
});
