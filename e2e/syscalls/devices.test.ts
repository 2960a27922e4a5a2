/** Device files whose Linux semantics programs rely on, compared with native runs. */
import { checkNoLeaks, compileC } from './harness';
import { sameAsNative } from './compare';

describe('e2e: devices', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: writes to /dev/null and /dev/zero take the count without reading the buffer; /dev/full and files still fail; a wrong direction is EBADF first', () =>
    sameAsNative([compileC('devnull')], {}, [
      '/dev/null',
      'write bad pointer: 1048576 ',
      'pwrite bad pointer: 100 ',
      'writev bad pointers: 30 ',
      'writev bad iovec array: -1 Bad address',
      '/dev/zero',
      'write bad pointer: 1048576 ',
      'pwrite bad pointer: 100 ',
      'writev bad pointers: 30 ',
      'writev bad iovec array: -1 Bad address',
      'write to O_RDONLY /dev/null: -1 Bad file descriptor',
      'write bad pointer to O_RDONLY file: -1 Bad file descriptor',
      'writev bad iovec array to O_RDONLY file: -1 Bad file descriptor',
      'read bad pointer from O_WRONLY /dev/null: -1 Bad file descriptor',
      'readv bad iovec array from O_WRONLY /dev/null: -1 Bad file descriptor',
      'write /dev/full: -1 No space left on device',
      'write bad pointer to /dev/full: -1 No space left on device',
      'write nothing to /dev/full: -1 No space left on device',
      'write bad pointer to a regular file: -1 Bad address',
      '',
    ].join('\n')));

  // /dev/shm is a tmpfs on both sides.
  it('python: tmpfs files are sparse (/dev/shm): a 100 GiB truncate, a write at 5 GiB, st_blocks, shrink then grow', () =>
    sameAsNative(['/usr/bin/python3', '-c', 'import os\np = \'/dev/shm/tsvisor-sparse-%d\' % os.getpid()\nf = os.open(p, os.O_CREAT | os.O_RDWR | os.O_TRUNC, 0o600)\ntry:\n    os.ftruncate(f, 100 << 30)\n    st = os.fstat(f)\n    print(\'truncated\', st.st_size, st.st_blocks)\n    os.pwrite(f, b\'hello\', 5 << 30)\n    print(\'written far out\', os.fstat(f).st_blocks, os.pread(f, 7, (5 << 30) - 2))\n    os.ftruncate(f, 0)\n    os.pwrite(f, b\'x\' * 10000, 0)\n    os.ftruncate(f, 4098)\n    os.ftruncate(f, 8192)\n    st = os.fstat(f)\n    print(\'shrunk and grown\', st.st_size, st.st_blocks, os.pread(f, 4, 4096))\nfinally:\n    os.close(f)\n    os.unlink(p)'], {}, [
      'truncated 107374182400 0', "written far out 8 b'\\x00\\x00hello'", "shrunk and grown 8192 16 b'xx\\x00\\x00'", '',
    ].join('\n')));
});
