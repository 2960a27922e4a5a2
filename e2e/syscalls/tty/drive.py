"""Drives a command on a fresh host pseudo-terminal, like a user at a terminal.

usage: drive.py SPEC_JSON
SPEC: {"argv": [...], "env": {...}, "rows": R, "cols": C, "steps": [[op, arg], ...]}
ops: expect TEXT (wait until the output so far ends with... contains TEXT after
the previous match), send TEXT, resize "R C", kill SIGNAL_NUMBER (to the
command's process), settle SECONDS (read output for that long).
Prints the whole transcript (bytes as a Python repr), the exit status, and
whether the terminal's settings after the run equal those before it.
"""
import json, os, pty, select, signal, struct, sys, termios, fcntl, time

spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execve(spec['argv'][0], spec['argv'], {**os.environ, **spec.get('env', {})})

def setsize(rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))

setsize(spec.get('rows', 24), spec.get('cols', 80))
before = termios.tcgetattr(fd)
out = b''
seen = 0  # output already matched by an expect
eof = False

def pump(timeout):
    global out, eof
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return False
    try:
        data = os.read(fd, 4096)
    except OSError:
        data = b''
    if not data:
        eof = True
        return False
    out += data
    return True

for op, arg in spec['steps']:
    if op == 'expect':
        want = arg.encode()
        deadline = time.time() + 30
        while out.find(want, seen) < 0 and not eof and time.time() < deadline:
            pump(0.2)
        at = out.find(want, seen)
        if at < 0:
            sys.stdout.write('timeout waiting for %r; output %r\n' % (arg, out))
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.exit(1)
        seen = at + len(want)
    elif op == 'send':
        os.write(fd, arg.encode())
    elif op == 'resize':
        setsize(*map(int, arg.split()))
    elif op == 'kill':
        os.kill(pid, int(arg))
    elif op == 'settle':
        end = time.time() + float(arg)
        while time.time() < end and not eof:
            pump(max(0, end - time.time()))

while not eof and pump(30):
    pass
_, status = os.waitpid(pid, 0)
after = None
try:
    after = termios.tcgetattr(fd)
except termios.error:
    pass
sys.stdout.write('%r\nexit %d\nsettings restored: %s\n' % (out, os.waitstatus_to_exitcode(status), after == before))
