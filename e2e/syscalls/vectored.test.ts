/** readv/writev/preadv as one transfer over the iovec array, compared with native runs. */
import { checkNoLeaks, compileC } from './harness';
import { sameAsNative } from './compare';

describe('e2e: vectored I/O', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: pipe and socket readv return what is queued, a small pipe writev is whole or EAGAIN, file iovecs keep their order across chunks', () =>
    sameAsNative([compileC('vectored')], {}, [
      'nonblocking pipe, readv [5,5] with 5 queued: 5 ',
      'then, nothing queued: -1 Resource temporarily unavailable',
      'blocking pipe, readv [5,5] with 5 queued: 5 ',
      'socket, readv [5,5] with 5 queued: 5 ',
      'pipe with 6 bytes free, writev [5,5]: -1 Resource temporarily unavailable',
      'pipe held 65530, then 65530',
      'writev of 3 MiB in 7 iovecs: 3145728 ',
      'preadv of it at 0: 3145728 ',
      'same bytes: yes (614bb3c5)',
      'readv from offset 4096 (short at end of file): 3141632 ',
      'same bytes: yes',
      '',
    ].join('\n')));
});
