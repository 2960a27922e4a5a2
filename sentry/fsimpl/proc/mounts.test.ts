import assert from 'node:assert/strict';
import { AT_FDCWD } from '../../abi/linux/fs';
import { FakeGofer, makeTask } from '../../vfs/testkit';
import { buildRootVfs } from '../../vfs/mounts';
import { Tmpfs } from '../tmpfs/tmpfs';
import { procMountInfo, procMounts } from './mounts';

describe('/proc/[pid]/mounts and mountinfo', () => {
  function setup() {
    const gofer = new FakeGofer();
    gofer.add('etc', 'dir');
    gofer.add('etc/conf', 'dir');
    gofer.add('etc/conf/a', 'file', 'x');
    const { kernel, task } = makeTask((k) => buildRootVfs({ gofer, overlay: 'memory', kernel: k, host: { cpuinfo: 'processor\t: 0\n', memTotalKb: 1024 } }));
    return { vfs: kernel.vfs, t: task };
  }

  it('lists each mount with its id, parent, device, root and escaped paths, in mount order', () => {
    const { vfs, t } = setup();
    vfs.mount('/data dir', new Tmpfs(vfs.allocDev()).root, 'tmpfs');
    vfs.bindReadOnly(vfs.resolve(t, AT_FDCWD, '/etc/conf', true));
    const lines = procMountInfo(vfs).trimEnd().split('\n');
    assert.deepEqual(lines, [
      '1 1 0:2 / / rw,relatime - overlay overlay rw',
      '2 1 0:4 / /proc rw,relatime - proc proc rw',
      '3 1 0:5 / /sys ro,relatime - sysfs sysfs ro',
      '4 3 0:6 / /sys/fs/cgroup ro,relatime - cgroup2 cgroup ro',
      '5 1 0:7 / /dev rw,relatime - tmpfs devtmpfs rw',
      '6 5 0:8 / /dev/shm rw,relatime - tmpfs shm rw',
      '7 1 0:9 / /tmp rw,relatime - tmpfs tmpfs rw',
      '8 5 0:10 / /dev/pts rw,relatime - devpts devpts rw',
      '9 1 0:11 / /data\\040dir rw,relatime - tmpfs tmpfs rw',
      // A bind of a directory below the root names it; the filesystem stays writable elsewhere.
      '10 1 0:2 /etc/conf /etc/conf ro,relatime - overlay overlay rw',
    ]);
    assert.equal(procMounts(vfs).split('\n')[8], 'tmpfs /data\\040dir tmpfs rw,relatime 0 0');
  });

  it('a bind below a bind keeps the path within the filesystem; a mount replacing another takes a new id and goes last', () => {
    const { vfs, t } = setup();
    vfs.bindReadOnly(vfs.resolve(t, AT_FDCWD, '/etc', true));
    vfs.bindReadOnly(vfs.resolve(t, AT_FDCWD, '/etc/conf/a', true));
    vfs.mount('/tmp', new Tmpfs(vfs.allocDev()).root, 'tmpfs');
    const tail = procMountInfo(vfs).trimEnd().split('\n').slice(-3);
    assert.deepEqual(tail, [
      '9 1 0:2 /etc /etc ro,relatime - overlay overlay rw',
      '10 9 0:2 /etc/conf/a /etc/conf/a ro,relatime - overlay overlay rw',
      '11 1 0:11 / /tmp rw,relatime - tmpfs tmpfs rw',
    ]);
  });
});
