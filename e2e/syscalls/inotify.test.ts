/**
 * inotify: the events of file operations (a C program, run natively and
 * in the sandbox on its tmpfs and on its memory overlay over the Gofer),
 * and two programs that depend on it: coreutils `tail -f` (which polls
 * once a second without inotify) and Node's fs.watch (which fails
 * without it). Before, the three syscalls were ENOSYS.
 */
import { assertOutput, expectNativeLines } from './compare';
import { checkNoLeaks, compileC, freshDir, native, sandboxed } from './harness';

/** `tail -f` sees a line appended 0.3 s after it started, and fs.watch reports a create, rename and unlink in order. */
const FOLLOW = String.raw`
d=$(mktemp -d "$1/follow.XXXXXX"); echo a > $d/f
tail -f $d/f & t=$!
sleep 0.3; echo b >> $d/f; sleep 0.3; kill $t; wait $t 2>/dev/null
node -e '
const fs = require("fs"); const d = process.argv[1]; const seen = [];
const w = fs.watch(d, (ev, name) => { if (seen[seen.length - 1] !== ev + " " + name) seen.push(ev + " " + name); });
setTimeout(() => { fs.writeFileSync(d + "/new", "x"); fs.renameSync(d + "/new", d + "/moved"); fs.unlinkSync(d + "/moved"); }, 100);
setTimeout(() => { w.close(); console.log(seen.join("\n")); }, 600);
' $d
rm -rf $d
`;

describe('e2e: inotify', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: events of every file operation, watch descriptors, flags, errors, reads and overflow, as natively (tmpfs and overlay)', () => {
    const prog = compileC('inotify');
    const n = native([prog, freshDir('inotify')]);
    expectNativeLines(n.stdout, ['  D MOVED_FROM c1 f2 len%16=0', '  F DELETE_SELF len%16=0', '  B ATTRIB len%16=0\n  A MOVE_SELF len%16=0\n  B DELETE_SELF len%16=0', 'last mask 0x4000 wd -1']);
    assertOutput(n, n.stdout);
    for (const dir of ['/tmp', freshDir('inotify')]) assertOutput(sandboxed(['/bin/sh', '-c', 'd=$(mktemp -d "$1/in.XXXXXX") && "$0" "$d"', prog, dir]), n.stdout);
  });

  it('tail -f follows a file at once and Node fs.watch reports changes, as natively', () => {
    const want = ['a', 'b', 'rename new', 'change new', 'rename new', 'rename moved', ''].join('\n');
    assertOutput(native(['/bin/sh', '-c', FOLLOW, 'sh', freshDir('follow')]), want);
    assertOutput(sandboxed(['/bin/sh', '-c', FOLLOW, 'sh', '/tmp']), want);
  });
});
