/**
 * The line discipline alone. Expected bytes are what Linux produced for the
 * same input in e2e/syscalls/c/pty.c (run natively); the e2e test checks the
 * sandbox against native runs end to end.
 */
import * as assert from 'assert';
import { SIG } from '../../abi/linux/signal';
import { LFLAG, OFLAG, VMIN, VTIME } from '../../abi/linux/tty';
import { LineDiscipline } from './ldisc';

function setup(): { ld: LineDiscipline; signals: number[]; read(n?: number): string; output(): string } {
  const signals: number[] = [];
  const ld = new LineDiscipline((s) => signals.push(s));
  return {
    ld,
    signals,
    read(n = 256) {
      const b = Buffer.alloc(n);
      return b.subarray(0, ld.read(b)).toString('latin1');
    },
    output() {
      const b = Buffer.alloc(4096);
      return b.subarray(0, ld.readOutput(b)).toString('latin1');
    },
  };
}

describe('devpts line discipline (N_TTY subset)', () => {
  it('canonical mode: ERASE with ECHOE, CR to NL, one line per read', () => {
    const { ld, read, output } = setup();
    ld.receive(Buffer.from('abc\x7fd\r'));
    assert.strictEqual(read(), 'abd\n');
    assert.strictEqual(output(), 'abc\b \bd\r\n');
    assert.strictEqual(ld.readable(), false);
  });

  it('KILL under ECHOKE erases the line visually; a ^A echoes as ^A and erases two columns', () => {
    const { ld, read, output } = setup();
    ld.receive(Buffer.from('xyz\x15ok\n'));
    assert.strictEqual(read(), 'ok\n');
    assert.strictEqual(output(), 'xyz\b \b\b \b\b \bok\r\n');
    ld.receive(Buffer.from('a\x01\x7f\n'));
    assert.strictEqual(read(), 'a\n');
    assert.strictEqual(output(), 'a^A\b \b\b \b\r\n');
  });

  it('WERASE, EOF ends a line without itself, EOF on an empty line reads 0 bytes', () => {
    const { ld, read, output } = setup();
    ld.receive(Buffer.from('one two\x17three\x04\x04'));
    assert.strictEqual(read(), 'one three');
    assert.strictEqual(ld.readable(), true);
    assert.strictEqual(read(), '');
    assert.strictEqual(ld.readable(), false);
    assert.strictEqual(output(), 'one two\b \b\b \b\b \bthree');
  });

  it('short reads keep the rest of the line; FIONREAD counts complete lines only', () => {
    const { ld, read } = setup();
    ld.receive(Buffer.from('12345\npartial'));
    assert.strictEqual(ld.inputBytes, 6);
    assert.strictEqual(read(3), '123');
    assert.strictEqual(read(), '45\n');
    assert.strictEqual(ld.readable(), false);
  });

  it('INTR flushes, signals SIGINT and echoes ^C; QUIT and SUSP map to SIGQUIT and SIGTSTP', () => {
    const { ld, signals, output } = setup();
    ld.write(Buffer.from('unread'));
    ld.receive(Buffer.from('half\x03'));
    assert.deepStrictEqual(signals, [SIG.SIGINT]);
    assert.strictEqual(ld.inputBytes, 0);
    assert.strictEqual(output(), '^C');
    ld.receive(Buffer.from('\x1c\x1a'));
    assert.deepStrictEqual(signals, [SIG.SIGINT, SIG.SIGQUIT, SIG.SIGTSTP]);
  });

  it('OPOST/ONLCR on output; without OPOST bytes pass unchanged; ECHONL without ECHO', () => {
    const { ld, read, output } = setup();
    ld.write(Buffer.from('out\n'));
    assert.strictEqual(output(), 'out\r\n');
    const t = ld.termios;
    ld.setTermios({ ...t, oflag: t.oflag & ~OFLAG.OPOST });
    ld.write(Buffer.from('raw\n'));
    assert.strictEqual(output(), 'raw\n');
    ld.setTermios({ ...t, lflag: (t.lflag & ~LFLAG.ECHO) | LFLAG.ECHONL });
    ld.receive(Buffer.from('secret\n'));
    assert.strictEqual(read(), 'secret\n');
    assert.strictEqual(output(), '\r\n');
  });

  it('non-canonical: VMIN decides poll readiness, bytes are not translated by ICANON editing', () => {
    const { ld, read } = setup();
    const t = ld.termios;
    const cc = [...t.cc];
    cc[VMIN] = 3;
    cc[VTIME] = 0;
    ld.setTermios({ ...t, iflag: 0, lflag: 0, cc });
    ld.receive(Buffer.from('ab'));
    assert.strictEqual(ld.readable(true), false);
    assert.strictEqual(ld.readable(), true);
    ld.receive(Buffer.from('c\rd\x7f'));
    assert.strictEqual(ld.readable(true), true);
    assert.strictEqual(read(), 'abc\rd\x7f');
  });

  it('leaving canonical mode makes the edited text readable; IXON STOP/START pause output', () => {
    const { ld, read } = setup();
    ld.receive(Buffer.from('pend'));
    const t = ld.termios;
    ld.setTermios({ ...t, lflag: t.lflag & ~LFLAG.ICANON });
    assert.strictEqual(read(), 'pend');
    ld.receive(Buffer.from('\x13'));
    assert.strictEqual(ld.writable, false);
    ld.receive(Buffer.from('\x11'));
    assert.strictEqual(ld.writable, true);
    assert.strictEqual(ld.rawLength, 0);
  });
});
