import { nativeValues } from '../../testing/native';
import assert from 'node:assert/strict';
import { AT, O, STAT_OFF, STAT_SIZE, STATFS_OFF, STATFS_SIZE, STATX_OFF, STATX_SIZE } from './fs';

const C = `#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#define P(n, v) printf("%s %ld\\n", n, (long)(v))
int main(void) {
  P("stat", sizeof(struct stat)); P("statx", sizeof(struct statx)); P("statfs", sizeof(struct statfs));
  P("st.ino", offsetof(struct stat, st_ino)); P("st.nlink", offsetof(struct stat, st_nlink));
  P("st.mode", offsetof(struct stat, st_mode)); P("st.rdev", offsetof(struct stat, st_rdev));
  P("st.size", offsetof(struct stat, st_size)); P("st.blocks", offsetof(struct stat, st_blocks));
  P("st.mtime", offsetof(struct stat, st_mtim)); P("st.ctime", offsetof(struct stat, st_ctim));
  P("sx.mode", offsetof(struct statx, stx_mode)); P("sx.ino", offsetof(struct statx, stx_ino));
  P("sx.mtime", offsetof(struct statx, stx_mtime)); P("sx.devMinor", offsetof(struct statx, stx_dev_minor));
  P("sf.namelen", offsetof(struct statfs, f_namelen)); P("sf.flags", offsetof(struct statfs, f_flags));
  P("O_DIRECTORY", O_DIRECTORY); P("O_CLOEXEC", O_CLOEXEC); P("O_PATH", O_PATH); P("O_TMPFILE", O_TMPFILE);
  P("AT_EMPTY_PATH", AT_EMPTY_PATH);
  return 0;
}`;

describe('fs ABI layouts against the C library', function () {
  let native: Map<string, number>;
  before(() => (native = nativeValues(C)));

  it('struct sizes and offsets match', () => {
    assert.equal(native.get('stat'), STAT_SIZE);
    assert.equal(native.get('statx'), STATX_SIZE);
    assert.equal(native.get('statfs'), STATFS_SIZE);
    const pairs: [string, number][] = [
      ['st.ino', STAT_OFF.ino], ['st.nlink', STAT_OFF.nlink], ['st.mode', STAT_OFF.mode], ['st.rdev', STAT_OFF.rdev],
      ['st.size', STAT_OFF.size], ['st.blocks', STAT_OFF.blocks], ['st.mtime', STAT_OFF.mtime], ['st.ctime', STAT_OFF.ctime],
      ['sx.mode', STATX_OFF.mode], ['sx.ino', STATX_OFF.ino], ['sx.mtime', STATX_OFF.mtime], ['sx.devMinor', STATX_OFF.devMinor],
      ['sf.namelen', STATFS_OFF.namelen], ['sf.flags', STATFS_OFF.flags],
    ];
    for (const [name, ours] of pairs) assert.equal(ours, native.get(name), name);
  });

  it('flag values match', () => {
    assert.equal(O.DIRECTORY, native.get('O_DIRECTORY'));
    assert.equal(O.CLOEXEC, native.get('O_CLOEXEC'));
    assert.equal(O.PATH, native.get('O_PATH'));
    assert.equal(O.TMPFILE, native.get('O_TMPFILE'));
    assert.equal(AT.EMPTY_PATH, native.get('AT_EMPTY_PATH'));
  });
});
