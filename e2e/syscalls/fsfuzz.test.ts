/**
 * File-system operations under random sequences, compared with Linux line
 * by line: e2e/syscalls/c/fsfuzz.c runs seeded opens, writes, reads,
 * truncates, renames (NOREPLACE, EXCHANGE), links, symlinks, unlinks,
 * mkdir/rmdir, chmod, lseek and stat on ten names in an empty directory
 * with four descriptors kept open, then describes the tree. Natively on a
 * tmpfs directory and on a directory of the host's disk; in the sandbox on
 * its /tmp (tmpfs) and on a host directory under the memory overlay. It
 * found: reads of a tmpfs file grown by truncate past its written bytes
 * failing with EIO, O_CREAT through a dangling symlink failing (ENOENT)
 * instead of creating its target, RENAME_EXCHANGE refused (EINVAL),
 * link(2) and renameat2 checking their errors in another order than Linux,
 * lseek(SEEK_END) on a directory succeeding, and, without the overlay, a
 * hard link's size stale after a write through its other name.
 *
 * Known differences without the overlay (--overlay=none, a pod's volumes):
 * RENAME_EXCHANGE is EINVAL (9P has no exchange), and an open file whose
 * name was unlinked cannot be truncated (the Gofer works by path).
 */
import * as fs from 'fs';
import * as path from 'path';
import { expectNativeLines, sameAsNative } from './compare';
import { checkNoLeaks, compileC, freshDir } from './harness';

const SEEDS = ['1', '2', '4', '6'];

/** Runs the fuzzer natively and in the sandbox, each in a fresh directory under `base` (created if missing). */
function fuzzUnder(base: string, seed: string, overlay?: 'none'): void {
  const script = `mkdir -p ${base} && d=$(mktemp -d -p ${base}) && exec ${compileC('fsfuzz')} "$d" ${seed} 300`;
  const r = sameAsNative(['/bin/sh', '-c', script], { overlay });
  expectNativeLines(r.native.stdout, ['299 ']);
}

describe('e2e: file systems under random operations', function () {
  this.timeout(120_000);
  checkNoLeaks();

  for (const seed of SEEDS) {
    // /dev/shm is a tmpfs on the host and in the sandbox (its own).
    it(`seed ${seed}: 300 operations on the sandbox's tmpfs as on the host's`, () => {
      const base = `/dev/shm/tsv-fsfuzz-${process.pid}`;
      try {
        fuzzUnder(base, seed);
      } finally {
        fs.rmSync(base, { recursive: true, force: true });
      }
    });

    it(`seed ${seed}: 300 operations on a host directory under the memory overlay as on the host`, () => {
      fuzzUnder(path.join(freshDir('fsfuzz'), 'work'), seed);
    });
  }

  // Without the overlay (a pod volume's case), seeds that meet none of the known differences above.
  for (const seed of ['1', '5', '9', '10']) {
    it(`seed ${seed}: 300 operations on a host directory served by the Gofer without the overlay as on the host`, () => {
      fuzzUnder(path.join(freshDir('fsfuzz'), 'work'), seed, 'none');
    });
  }
});
