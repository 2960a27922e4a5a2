/** The default memory overlay keeps writes inside the sandbox; --overlay=none lets them land. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { assertOutput } from './compare';
import { FIXED_MTIME, tinyRootfs } from './fixtures';
import { checkNoLeaks, describeRun, freshDir, native, sandboxed } from './harness';

describe('e2e: root file system overlay', function () {
  checkNoLeaks();

  it('writes to a host file stay in the memory overlay (default)', () => {
    const victim = path.join(freshDir('overlay'), 'victim.txt');
    fs.writeFileSync(victim, 'original\n');
    fs.utimesSync(victim, FIXED_MTIME, FIXED_MTIME);
    const script = `echo changed > ${victim} && echo new > ${victim}.new && cat ${victim} ${victim}.new`;
    // busybox sh runs cat as a no-fork applet: no process model needed.
    assertOutput(sandboxed(['/bin/busybox', 'sh', '-c', script]), 'changed\nnew\n');
    assert.strictEqual(fs.readFileSync(victim, 'utf8'), 'original\n');
    assert.strictEqual(fs.statSync(victim).mtime.getTime(), FIXED_MTIME.getTime());
    assert.ok(!fs.existsSync(`${victim}.new`), 'a file created in the sandbox appeared on the host');
  });

  it('removal of a host file stays in the overlay', () => {
    const victim = path.join(freshDir('overlay'), 'keep.txt');
    fs.writeFileSync(victim, 'keep\n');
    // One process removes and checks (no fork needed): python's os.remove is unlink(2).
    const script = `import os; os.remove(${JSON.stringify(victim)}); print('gone' if not os.path.exists(${JSON.stringify(victim)}) else 'still there')`;
    const r = sandboxed(['/usr/bin/python3', '-c', script]);
    assertOutput(r, 'gone\n');
    assert.strictEqual(fs.readFileSync(victim, 'utf8'), 'keep\n');
  });

  it('with --rootfs and the default overlay, the rootfs is untouched', () => {
    const root = tinyRootfs();
    assertOutput(sandboxed(['/bin/busybox', 'sh', '-c', 'echo landed > /data/out && cat /data/out'], { rootfs: root }), 'landed\n');
    assert.ok(!fs.existsSync(path.join(root, 'data', 'out')), 'write escaped the overlay');
  });

  // Programs check free space before writing (apt-get refuses to download
  // when statvfs says the disk is full): memory-backed mounts report
  // Linux's default tmpfs size, half the RAM, less what their files hold.
  it('statfs of the memory overlay, /tmp and /dev/shm: half the RAM, less what files hold', () => {
    const script = [
      'import os',
      "kb = int([l for l in open('/proc/meminfo') if l.startswith('MemTotal:')][0].split()[1])",
      'pages = kb // 4 // 2',
      "for p in ('/', '/tmp', '/dev/shm'):",
      '  s = os.statvfs(p)',
      '  print(p, s.f_bsize, s.f_blocks == pages, s.f_files == pages, 0 < s.f_bavail == s.f_bfree <= s.f_blocks)',
      "before = os.statvfs('/tmp').f_bfree",
      "open('/tmp/f', 'wb').write(b'x' * (8 << 20))",
      "print('blocks taken by 8 MiB:', before - os.statvfs('/tmp').f_bfree)",
      "os.unlink('/tmp/f')",
      "print('given back:', os.statvfs('/tmp').f_bfree == before)",
    ].join('\n');
    assertOutput(
      sandboxed(['/usr/bin/python3', '-c', script]),
      '/ 4096 True True True\n/tmp 4096 True True True\n/dev/shm 4096 True True True\nblocks taken by 8 MiB: 2048\ngiven back: True\n',
    );
  });

  // Linux frees an unlinked tmpfs file at its last close (the tmpfile() pattern); a fresh
  // tmpfs natively, /tmp and the writable layer (/) in the sandbox.
  it('an unlinked file still open keeps its blocks until its last close, as on a native tmpfs', () => {
    const script = [
      'import os, sys',
      'd = sys.argv[1]',
      'free = lambda: os.statvfs(d).f_bfree',
      'before = free()',
      "fd = os.open(d + '/t', os.O_RDWR | os.O_CREAT, 0o600)",
      'os.unlink(d + "/t")',
      "os.write(fd, b'x' * (8 << 20))",
      'dup = os.dup(fd)',
      'os.close(fd)',
      "print('held while open:', before - free())",
      'os.close(dup)',
      "print('after the last close:', before - free())",
    ].join('\n');
    const expected = 'held while open: 2048\nafter the last close: 0\n';
    const n = native(['/usr/bin/unshare', '-m', '/bin/sh', '-c', 'mount -t tmpfs none /mnt && exec /usr/bin/python3 -c "$0" /mnt', script]);
    assertOutput(n, expected);
    for (const dir of ['/tmp', '/var/tmp']) assertOutput(sandboxed(['/usr/bin/python3', '-c', script, dir]), expected);
  });

  // statfs's f_files - f_ffree after each step, from a start: Linux's tmpfs takes an inode per
  // node and per extra hard link (shmem_link), and gives an unlinked file's back at its last close.
  it('inodes taken and given back, step by step, as on a native tmpfs', () => {
    const script = [
      'import os, socket, sys',
      'd = sys.argv[1]',
      'def used():',
      '  s = os.statvfs(d)',
      '  return s.f_files - s.f_ffree',
      'base = used()',
      'def step(name): print(name, used() - base)',
      "open(d + '/a', 'w').close(); step('file')",
      "os.mkdir(d + '/dir'); os.mkdir(d + '/dir/sub'); step('two dirs')",
      "os.symlink('a', d + '/sym'); step('symlink')",
      "socket.socket(socket.AF_UNIX).bind(d + '/sock'); step('socket')",
      "os.link(d + '/a', d + '/a2'); os.link(d + '/a', d + '/dir/a3'); step('two more names')",
      "fd = os.open(d + '/a', os.O_RDONLY)",
      "os.unlink(d + '/a2'); os.unlink(d + '/dir/a3'); step('two names removed')",
      "os.unlink(d + '/a'); step('last name removed, still open')",
      "os.close(fd); step('closed')",
      "os.rename(d + '/sym', d + '/sock'); step('renamed over')",
      "os.rmdir(d + '/dir/sub'); os.rmdir(d + '/dir'); step('dirs removed')",
      "os.unlink(d + '/sock'); step('all gone')",
    ].join('\n');
    const expected = [
      'file 1', 'two dirs 3', 'symlink 4', 'socket 5', 'two more names 7', 'two names removed 5',
      'last name removed, still open 5', 'closed 4', 'renamed over 3', 'dirs removed 1', 'all gone 0', '',
    ].join('\n');
    assertOutput(native(['/usr/bin/unshare', '-m', '/bin/sh', '-c', 'mount -t tmpfs none /mnt && exec /usr/bin/python3 -c "$0" /mnt', script]), expected);
    for (const dir of ['/tmp', '/dev/shm']) assertOutput(sandboxed(['/usr/bin/python3', '-c', script, dir]), expected);
  });

  // Linux's tmpfs: a directory's size is 20 bytes per entry with . and .., in no blocks; a
  // symlink target under 128 bytes lives in the inode (no block), a longer one takes a page.
  it('st_size and st_blocks of directories, symlinks and files, as on a native tmpfs', () => {
    const script = [
      'd=$0; mkdir -p $d/d/sub && ln -s target $d/d/ln',
      'ln -s $(printf "x%.0s" $(seq 127)) $d/d/l127 && ln -s $(printf "x%.0s" $(seq 128)) $d/d/l128',
      'printf abc > $d/d/f && : > $d/d/empty && truncate -s 1M $d/d/sparse',
      'cd $d && stat -c "%n %s %b" d d/sub d/ln d/l127 d/l128 d/f d/empty d/sparse && rm d/f && stat -c "%n %s %b" d',
    ].join('\n');
    const n = native(['/usr/bin/unshare', '-m', '/bin/sh', '-c', 'mount -t tmpfs none /mnt && exec /bin/sh -c "$0" /mnt', script]);
    assertOutput(n, 'd 180 0\nd/sub 40 0\nd/ln 6 0\nd/l127 127 0\nd/l128 128 8\nd/f 3 8\nd/empty 0 0\nd/sparse 1048576 0\nd 160 0\n');
    for (const dir of ['/tmp', '/dev/shm']) assertOutput(sandboxed(['/bin/sh', '-c', script, dir]), n.stdout);
  });

  it('with --overlay=none, writes land in the rootfs', () => {
    const root = tinyRootfs();
    const r = sandboxed(['/bin/busybox', 'sh', '-c', 'echo landed > /data/out'], { rootfs: root, overlay: 'none' });
    assert.strictEqual(r.code, 0, describeRun(r));
    assert.strictEqual(fs.readFileSync(path.join(root, 'data', 'out'), 'utf8'), 'landed\n');
  });
});
