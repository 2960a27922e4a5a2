/**
 * The sandbox's mount table and cgroup as programs read them:
 * /proc/self/mountinfo checked against stat(2) and /proc/self/mounts by
 * the same script natively and in the sandbox; a single-command sandbox
 * is one cgroup v2 without limits, found as container-aware runtimes find
 * theirs (e2e/images/c/cgroupinfo.c; e2e/cri/oom.test.ts compares a
 * limited container with runc), whose usage files follow what its
 * processes do; oom_score_adj writes against the same writes natively.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { staticProgram } from '../images/rootfs';
import { assertOutput, sameAsNative } from './compare';
import { checkNoLeaks, freshDir, sandboxed } from './harness';

/** Parses mountinfo (octal escapes undone) and checks it; prints "ok" or each problem. */
const MOUNTINFO_CHECK = String.raw`
import os, re
unesc = lambda s: re.sub(r'\\([0-7]{3})', lambda m: chr(int(m.group(1), 8)), s)
rows = []
for line in open('/proc/self/mountinfo'):
    f = line.split()
    sep = f.index('-')
    rows.append(dict(id=int(f[0]), parent=int(f[1]), dev=f[2], target=unesc(f[4]), opts=f[5], type=f[sep + 1], source=unesc(f[sep + 2])))
problems = []
ids = [r['id'] for r in rows]
if len(set(ids)) != len(ids): problems.append('duplicate ids')
# One mount, the root, has its parent outside the table (Linux) or is its own (the sandbox).
orphans = [r for r in rows if r['parent'] not in ids or r['parent'] == r['id']]
if len(orphans) != 1 or orphans[0]['target'] != '/': problems.append('parents: %s' % [(r['id'], r['target']) for r in orphans])
mounts = [l.split() for l in open('/proc/self/mounts')]
if [unesc(m[1]) for m in mounts] != [r['target'] for r in rows]: problems.append('targets differ from /proc/self/mounts')
if [(m[2], unesc(m[0]), m[3].split(',')[0]) for m in mounts] != [(r['type'], r['source'], r['opts'].split(',')[0]) for r in rows]:
    problems.append('type, source or ro/rw differ from /proc/self/mounts')
# The last mount on a path is the one stat sees.
for t, r in {r['target']: r for r in rows}.items():
    st = os.stat(t)
    if '%d:%d' % (os.major(st.st_dev), os.minor(st.st_dev)) != r['dev']: problems.append('st_dev of %s is not %s' % (t, r['dev']))
print('\n'.join(problems) or 'ok')
`;

/** Usage files against what the script itself does. */
const USAGE_CHECK = String.raw`
import errno, os, subprocess, threading, time
cg = '/sys/fs/cgroup/'
read = lambda f: open(cg + f).read()
keyed = lambda f: dict(l.split() for l in read(f).splitlines())
out = []
cpu0, usage0 = time.process_time(), int(keyed('cpu.stat')['usage_usec'])
end = time.process_time() + 0.3
while time.process_time() < end: pass
spent = (time.process_time() - cpu0) * 1e6
grew = int(keyed('cpu.stat')['usage_usec']) - usage0
out.append('cpu.stat grew by the CPU time spent: %s' % (0.9 * spent <= grew <= spent + 50000))
mem0 = int(read('memory.current'))
block = bytearray(64 << 20)
for i in range(0, len(block), 4096): block[i] = 1
grew = int(read('memory.current')) - mem0
out.append('memory.current grew by 64 MiB: %s' % (64 << 20 <= grew <= 72 << 20))
stat = keyed('memory.stat')
out.append('memory.stat anon + file + kernel = memory.current: %s' % (abs(int(stat['anon']) + int(stat['file']) + int(stat['kernel']) - int(read('memory.current'))) < 1 << 20))
kernel0 = int(stat['kernel'])
os.mkdir('/tmp/many')
for i in range(2000): open('/tmp/many/%d' % i, 'w').close()
grew = int(keyed('memory.stat')['kernel']) - kernel0
out.append('2000 empty files take 2-4 MiB of kernel memory: %s' % (2000 << 10 <= grew <= 4000 << 10))
child = subprocess.Popen(['sleep', '5'])
procs = read('cgroup.procs').split()
out.append('cgroup.procs lists us and our child: %s' % (str(os.getpid()) in procs and str(child.pid) in procs))
child.kill(); child.wait()
ev = threading.Event()
t = threading.Thread(target=ev.wait); t.start()
out.append('pids.current counts threads: %s' % read('pids.current').strip())
ev.set(); t.join()
try:
    open(cg + 'cpu.max', 'w').write('max')
except OSError as e:
    out.append('write: %s' % errno.errorcode[e.errno])
print('\n'.join(out))
`;

/** Writes to /proc/self/oom_score_adj, each with its errno and the value after it; run without CAP_SYS_RESOURCE. */
const OOM_SCORE_ADJ_CHECK = String.raw`
import errno, subprocess
def w(v):
    try:
        with open('/proc/self/oom_score_adj', 'w') as f: f.write(v)
        return 'ok'
    except OSError as e:
        return errno.errorcode[e.errno]
r = lambda: open('/proc/self/oom_score_adj').read().strip()
out = ['%r %s %s' % (v, w(v), r()) for v in ['500', '-1001', '1001', 'abc', ' 0x10 ' + chr(10), '017', '12345678901234', '-1', '0', '300']]
out.append('child ' + subprocess.run(['cat', '/proc/self/oom_score_adj'], capture_output=True, text=True).stdout.strip())
score = int(open('/proc/self/oom_score').read())
out.append('oom_score in [866, 1000): %s' % (866 <= score < 1000))
print(chr(10).join(out))
`;

describe('e2e: mountinfo, the cgroup and oom_score_adj', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('/proc/self/mountinfo agrees with stat(2) and /proc/self/mounts, natively and in the sandbox', () => {
    sameAsNative(['/usr/bin/python3', '-c', MOUNTINFO_CHECK], {}, 'ok\n');
  });

  it('a process finds its cgroup v2 through /proc/self/cgroup and mountinfo, without limits', () => {
    const dir = freshDir('cgroup');
    const prog = path.join(dir, 'cgroupinfo');
    fs.writeFileSync(prog, staticProgram('cgroupinfo'), { mode: 0o755 });
    assertOutput(sandboxed([prog]), 'memory max\ncpu max 100000\nweight 100\nprocs 1\n');
    const r = sandboxed(['/bin/sh', '-c', 'cat /proc/self/cgroup; stat -f -c %T /sys/fs/cgroup; cat /sys/fs/cgroup/cgroup.controllers; grep -c cgroup2 /proc/filesystems']);
    assertOutput(r, '0::/\ncgroup2fs\ncpu memory pids\n1\n');
  });

  // This host's root lacks CAP_SYS_RESOURCE: both sides drop it, so only raising (or lowering to the floor, 0) works.
  it('oom_score_adj takes what Linux takes (range, syntax, the floor without CAP_SYS_RESOURCE); children inherit it', () => {
    sameAsNative(['/usr/bin/setpriv', '--inh-caps=-sys_resource', '--bounding-set=-sys_resource', '/usr/bin/python3', '-c', OOM_SCORE_ADJ_CHECK]);
  });

  it('cpu.stat, memory.current and memory.stat, cgroup.procs and pids.current follow the processes; writes fail with EROFS', () => {
    const r = sandboxed(['/usr/bin/python3', '-c', USAGE_CHECK]);
    assertOutput(r, [
      'cpu.stat grew by the CPU time spent: True',
      'memory.current grew by 64 MiB: True',
      'memory.stat anon + file + kernel = memory.current: True',
      '2000 empty files take 2-4 MiB of kernel memory: True',
      'cgroup.procs lists us and our child: True',
      'pids.current counts threads: 2',
      'write: EROFS',
      '',
    ].join('\n'));
  });
});
