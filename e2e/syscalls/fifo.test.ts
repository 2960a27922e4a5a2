/**
 * Named pipes (mkfifo): the same scripts natively and in the sandbox, on
 * the sandbox's tmpfs mounts and its memory overlay. Before, mknod of a
 * FIFO failed with EPERM in the sandbox.
 */
import { assertOutput, sameAsNative } from './compare';
import { checkNoLeaks, freshDir, native, sandboxed } from './harness';

/** Opening rules, shared data, poll bits, fstat and the fd link, and the data going with the last end. */
const SEMANTICS = String.raw`
import errno, os, select, stat, sys
p = sys.argv[1] + '/fifo'
os.mkfifo(p, 0o640)
st = os.stat(p)
print('S_ISFIFO', stat.S_ISFIFO(st.st_mode), oct(st.st_mode & 0o777), st.st_size)
try:
    os.open(p, os.O_WRONLY | os.O_NONBLOCK)
except OSError as e:
    print('O_WRONLY|O_NONBLOCK without a reader:', errno.errorcode[e.errno])
r = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
pr = select.poll(); pr.register(r, select.POLLIN)
print('O_RDONLY|O_NONBLOCK before any writer: poll', pr.poll(0), 'read', os.read(r, 10))
w = os.open(p, os.O_WRONLY | os.O_NONBLOCK)
f = os.fstat(w)
print('fstat is the inode:', (f.st_ino, f.st_dev) == (st.st_ino, st.st_dev), stat.S_ISFIFO(f.st_mode))
print('fd link is the path:', os.readlink('/proc/self/fd/%d' % w) == os.path.realpath(p))
os.write(w, b'hello')
pw = select.poll(); pw.register(w, select.POLLOUT)
print('poll with data', [e for _, e in pr.poll(0)], [e for _, e in pw.poll(0)])
os.close(w)
print('the writer gone: poll', [e for _, e in pr.poll(0)], 'read', os.read(r, 10), os.read(r, 10))
os.close(r)
pid = os.fork()
if pid == 0:
    w = os.open(p, os.O_WRONLY)  # waits for the reader
    os.write(w, b'from the child')
    os._exit(0)
r = os.open(p, os.O_RDONLY)  # waits for the writer
chunks = []
while True:
    b = os.read(r, 100)
    if not b: break
    chunks.append(b)
os.waitpid(pid, 0)
os.close(r)
print('blocking opens meet:', b''.join(chunks))
rw = os.open(p, os.O_RDWR)
os.write(rw, b'lost')
os.close(rw)
rw = os.open(p, os.O_RDWR | os.O_NONBLOCK)
try:
    os.read(rw, 10)
except OSError as e:
    print('data left at the last close is gone:', errno.errorcode[e.errno])
os.close(rw)
os.unlink(p)
`;

/** A signal ends a waiting open (and its end) or, with a handler that returns, lets it wait on; a killed waiter leaves no end. */
const WAITS = String.raw`
import errno, os, signal, sys, time
p = sys.argv[1] + '/fifo'
os.mkfifo(p)
def reader_count():
    try:
        os.close(os.open(p, os.O_WRONLY | os.O_NONBLOCK))
        return 'a reader'
    except OSError as e:
        return errno.errorcode[e.errno]
class Alarm(Exception): pass
def raise_alarm(*a): raise Alarm()
signal.signal(signal.SIGALRM, raise_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.2)
try:
    os.open(p, os.O_RDONLY)
except Alarm:
    print('interrupted; then a writer finds', reader_count())
ticks = [0]
def tick(*a): ticks[0] += 1
signal.signal(signal.SIGALRM, tick)
pid = os.fork()
if pid == 0:
    time.sleep(0.5)
    w = os.open(p, os.O_WRONLY); os.write(w, b'late'); os._exit(0)
signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
r = os.open(p, os.O_RDONLY)
signal.setitimer(signal.ITIMER_REAL, 0)
print('waited through handled signals:', ticks[0] >= 3, os.read(r, 10))
os.waitpid(pid, 0)
os.close(r)
pid = os.fork()
if pid == 0:
    os.open(p, os.O_RDONLY)
    os._exit(0)
time.sleep(0.3)
print('while a reader waits, a writer finds', reader_count())
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
print('the waiter killed, a writer finds', reader_count())
os.unlink(p)
`;

describe('e2e: named pipes', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('open rules, shared data, poll, fstat and the data going with the last end, as natively (tmpfs and overlay)', () => {
    const n = native(['/usr/bin/python3', '-c', SEMANTICS, freshDir('fifo')]);
    assertOutput(n, [
      "S_ISFIFO True 0o640 0",
      'O_WRONLY|O_NONBLOCK without a reader: ENXIO',
      "O_RDONLY|O_NONBLOCK before any writer: poll [] read b''",
      'fstat is the inode: True True',
      'fd link is the path: True',
      'poll with data [1] [4]',
      "the writer gone: poll [17] read b'hello' b''",
      "blocking opens meet: b'from the child'",
      'data left at the last close is gone: EAGAIN',
      '',
    ].join('\n'));
    for (const dir of ['/tmp', '/dev/shm', freshDir('fifo')]) assertOutput(sandboxed(['/usr/bin/python3', '-c', SEMANTICS, dir]), n.stdout);
  });

  it('a signal ends a waiting open and its end; a handler that returns lets it wait on; a killed waiter leaves no end', () => {
    const n = native(['/usr/bin/python3', '-c', WAITS, freshDir('fifo')]);
    assertOutput(n, [
      'interrupted; then a writer finds ENXIO',
      "waited through handled signals: True b'late'",
      'while a reader waits, a writer finds a reader',
      'the waiter killed, a writer finds ENXIO',
      '',
    ].join('\n'));
    assertOutput(sandboxed(['/usr/bin/python3', '-c', WAITS, '/tmp']), n.stdout);
  });

  // Without CAP_MKNOD on both sides: device nodes are EPERM (1:3, not a 0:0 whiteout, which Linux allows), a directory type EPERM, an unknown type EINVAL.
  it('mknod types and exec of a FIFO fail as natively; a shell pipes through mkfifo', () => {
    const script = [
      'd=$(mktemp -d)',
      'python3 -c "import os, stat, sys\nfor name, mode in ((\'chr\', stat.S_IFCHR), (\'dir\', stat.S_IFDIR), (\'odd\', 0o170000), (\'sock\', stat.S_IFSOCK), (\'fifo\', stat.S_IFIFO), (\'reg\', stat.S_IFREG)):\n  try: os.mknod(sys.argv[1] + \'/\' + name, mode | 0o600, os.makedev(1, 3)); print(name, \'ok\', stat.filemode(os.lstat(sys.argv[1] + \'/\' + name).st_mode))\n  except OSError as e: print(name, e.strerror)" "$d"',
      'chmod 755 "$d/fifo"; "$d/fifo"; echo "exec: $?"',
      'mkfifo "$d/p"; (seq 3 > "$d/p" &); sort -r < "$d/p"',
      'rm -r "$d"',
    ].join('\n');
    sameAsNative(['/usr/bin/setpriv', '--inh-caps=-mknod', '--bounding-set=-mknod', '/bin/sh', '-c', script]);
  });
});
