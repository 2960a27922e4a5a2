/** busybox-static applets: the sandbox must print exactly what Linux prints. */
import { sameAsNative } from './compare';
import { FixtureTree, fixtureTree, sha256Hex, TABLE, WORDS } from './fixtures';
import { checkNoLeaks } from './harness';

const BB = '/bin/busybox';

describe('e2e: busybox-static applets', function () {
  checkNoLeaks();
  let fx: FixtureTree;
  before(() => {
    fx = fixtureTree();
  });

  it('echo', () => {
    sameAsNative([BB, 'echo', 'hello', 'sandboxed  world'], {}, 'hello sandboxed  world\n');
  });

  it('cat of a file and of stdin', () => {
    sameAsNative([BB, 'cat', fx.words, fx.table], {}, WORDS + TABLE);
    sameAsNative([BB, 'cat'], { input: 'from stdin\n' }, 'from stdin\n');
  });

  it('ls -la of a fixed folder', () => {
    const { native } = sameAsNative([BB, 'ls', '-la', fx.dir]);
    // Guard against a vacuous match: the listing really shows the fixtures.
    for (const name of ['words.txt', 'table.csv', 'blob.bin', 'empty', 'sub', ' ..']) {
      if (!native.stdout.toString().includes(name)) throw new Error(`native listing lacks ${name}`);
    }
  });

  it('wc', () => {
    sameAsNative([BB, 'wc', fx.words, fx.table, fx.blob]);
  });

  it('sort', () => {
    sameAsNative([BB, 'sort', '-r', fx.words], {}, 'pear\nfig\ndate\ncherry\nbanana\napple\napple\n');
  });

  it('head', () => {
    sameAsNative([BB, 'head', '-n', '2', fx.words], {}, 'pear\napple\n');
    sameAsNative([BB, 'head', '-c', '100', fx.blob], {}, fx.blobData.subarray(0, 100));
  });

  it('sha256sum', () => {
    sameAsNative([BB, 'sha256sum', fx.blob], {}, `${sha256Hex(fx.blobData)}  ${fx.blob}\n`);
  });
});
