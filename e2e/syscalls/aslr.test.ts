/**
 * Address-space layout randomization, compared with Linux (which runs the
 * tests with randomize_va_space 2): each exec places the program, its heap,
 * its libraries, the vDSO and the stack anew, and `setarch -R`
 * (personality ADDR_NO_RANDOMIZE) turns that off for what it runs.
 */
import { checkNoLeaks } from './harness';
import { sameAsNative } from './compare';

const AREAS = ['bin/cat', '[heap]', 'libc.so.6', '[vdso]', '[stack]'];

/** Execs `cat /proc/self/maps` twice, randomized and under setarch -R, and says which areas moved between the two. */
const SCRIPT = `
for mode in random fixed; do
  run=; [ $mode = fixed ] && run="/usr/bin/setarch -R"
  a=$($run /bin/cat /proc/self/maps); b=$($run /bin/cat /proc/self/maps)
  for n in ${AREAS.map((n) => `'${n}'`).join(' ')}; do
    x=$(printf '%s\\n' "$a" | grep -F "$n" | head -1 | cut -d- -f1)
    y=$(printf '%s\\n' "$b" | grep -F "$n" | head -1 | cut -d- -f1)
    if [ -z "$x" ]; then echo "$mode $n missing"; elif [ "$x" = "$y" ]; then echo "$mode $n same"; else echo "$mode $n moved"; fi
  done
done
`;

const EXPECTED = [...AREAS.map((n) => `random ${n} moved`), ...AREAS.map((n) => `fixed ${n} same`), ''].join('\n');

describe('e2e: address-space layout randomization', function () {
  this.timeout(60_000);
  checkNoLeaks();

  it('every exec moves the program, heap, libc, vDSO and stack; setarch -R keeps them, like Linux', () => {
    sameAsNative(['/bin/sh', '-c', SCRIPT], {}, EXPECTED);
  });
});
