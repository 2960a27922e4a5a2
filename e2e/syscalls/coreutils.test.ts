/** GNU coreutils (dynamically linked): same bytes and exit codes as Linux. */
import { sameAsNative } from './compare';
import { bigFile, FixtureTree, fixtureTree } from './fixtures';
import { checkNoLeaks } from './harness';

describe('e2e: coreutils', function () {
  checkNoLeaks();
  let fx: FixtureTree;
  before(() => {
    fx = fixtureTree();
  });

  it('ls -la of a fixed folder', () => {
    sameAsNative(['/bin/ls', '-la', '--time-style=full-iso', fx.dir]);
  });

  it('sha256sum of a 50 MB file', () => {
    const big = bigFile(50);
    sameAsNative(['/usr/bin/sha256sum', big.file], {}, `${big.sha256}  ${big.file}\n`);
  });

  it('wc', () => {
    sameAsNative(['/usr/bin/wc', fx.words, fx.table, fx.blob]);
  });

  it('sort', () => {
    sameAsNative(['/usr/bin/sort', '-t', ',', '-k', '3', '-n', fx.table], {}, 'id,name,qty\n1,pear,7\n3,fig,12\n2,apple,30\n');
  });

  it('cut', () => {
    sameAsNative(['/usr/bin/cut', '-d', ',', '-f', '2', fx.table], {}, 'name\nfig\npear\napple\n');
  });

  it('stat of fixed files', () => {
    // Device, inode and birth time belong to the host file system, not to the
    // file; every other field is pinned by the fixture.
    const format = '%n|%s|%a|%A|%U|%G|%h|%F|%x|%y|%z\n';
    const { native } = sameAsNative(['/usr/bin/stat', '-c', format, fx.words, fx.dir]);
    if (!native.stdout.toString().includes('2020-01-02 03:04:05')) throw new Error('fixture mtime not shown');
  });

  // Every file read through the Gofer, each with a donated descriptor. Once the
  // Gofer's sendmsg was optimized it could send freed memory (gofer/host/libc.ts):
  // tar then failed with EIO and EINVAL in most runs (the unit test there
  // checks it without depending on when collections run).
  it('tar of /usr/share/doc, thousands of files read through the Gofer', () => {
    const script = 'tar --sort=name -cf - -C /usr/share/doc . | sha256sum; find /usr/share/doc -type f | wc -l';
    const { native } = sameAsNative(['/bin/sh', '-c', script]);
    const files = Number(native.stdout.toString().trim().split('\n').pop());
    if (!(files >= 2000)) throw new Error(`only ${files} files in /usr/share/doc`);
  });

  it('od', () => {
    sameAsNative(['/usr/bin/od', '-A', 'x', '-t', 'x1z', '-N', '256', fx.blob]);
  });
});
