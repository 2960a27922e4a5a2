/**
 * /proc/[pid] files that describe a process's resources and descriptors,
 * compared byte for byte with a native run of the same script: limits
 * (after prlimit set every resource to values both sides allow), the
 * identity uid_map/gid_map and setgroups, fdinfo (position, flags with
 * O_CLOEXEC, inode, the mount id of the file's mount in mountinfo; a
 * pipe's) and auxv (each entry as getauxval returns it, ending in
 * AT_NULL).
 */
import { assertOutput, sameAsNative } from './compare';
import { checkNoLeaks, native, runnerArgv, SANDBOX } from './harness';

const LIMITS = [
  '--cpu=100:200', '--fsize=1000000:2000000', '--nofile=1024:4096', '--nproc=500:1000', '--sigpending=500:1000', '--memlock=65536:65536',
  '--msgqueue=8192:8192', '--locks=100:200', '--rttime=1000:2000', '--core=0:unlimited', '--stack=8388608:unlimited', '--nice=0:0', '--rtprio=0:0',
];

const FILES_CHECK = String.raw`
import ctypes, os, struct
fd = os.open('/etc/passwd', os.O_RDONLY | os.O_APPEND | os.O_CLOEXEC)
os.lseek(fd, 5, 0)
info = dict(l.split(':' + chr(9)) for l in open('/proc/self/fdinfo/%d' % fd).read().splitlines())
ids = {l.split()[4]: l.split()[0] for l in open('/proc/self/mountinfo')}
print(info['pos'], info['flags'], info['ino'] == str(os.fstat(fd).st_ino), info['mnt_id'] == ids['/'])
r, w = os.pipe()
print(open('/proc/self/fdinfo/%d' % w).read().splitlines()[:2])
a = open('/proc/self/auxv', 'rb').read()
v = struct.unpack('<%dQ' % (len(a) // 8), a)
libc = ctypes.CDLL(None)
libc.getauxval.restype = ctypes.c_ulong
libc.getauxval.argtypes = [ctypes.c_ulong]
# glibc rewrites AT_HWCAP on x86_64 (getauxval gives its own bits).
print(all(v[i + 1] == libc.getauxval(v[i]) for i in range(0, len(v) - 2, 2) if v[i] != 16), len(v) > 20, v[-2:] == (0, 0))
for f in ('uid_map', 'gid_map', 'setgroups'): print(open('/proc/self/' + f).read(), end='')
`;

describe('e2e: /proc/[pid] limits, fdinfo, auxv and id maps', function () {
  this.timeout(60_000);
  checkNoLeaks();

  it('limits after prlimit sets every resource', () => {
    sameAsNative(['/usr/bin/prlimit', ...LIMITS, '/bin/cat', '/proc/self/limits']);
  });

  // What Node itself runs under (no file size limit: its start-up cache); the open-file soft limit, which Node raises for itself, too.
  it('`do` gives the command the limits it was started with', () => {
    const caller = ['/usr/bin/prlimit', '--nofile=777:4096', '--stack=4194304:unlimited', '--core=0:1000000', '--sigpending=500:1000', '--msgqueue=8192:8192', '--locks=100:200', '--cpu=100:200', '--rttime=1000:2000'];
    const n = native([...caller, '/bin/cat', '/proc/self/limits']);
    if (!/^Max open files +777 +4096 /m.test(n.stdout.toString())) throw new Error(`native run:\n${n.stdout}`);
    assertOutput(native([...caller, ...runnerArgv(SANDBOX, ['/bin/cat', '/proc/self/limits'])]), n.stdout);
  });

  it('fdinfo of a file and a pipe, auxv against getauxval, uid_map, gid_map and setgroups', () => {
    sameAsNative(['/usr/bin/python3', '-c', FILES_CHECK]);
  });
});
