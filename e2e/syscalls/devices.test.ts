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
});
