/**
 * What a dying thread or process leaves to others, compared with native
 * runs: PR_SET_PDEATHSIG (per thread, following the thread that forked).
 */
import { checkNoLeaks, compileC } from './harness';
import { sameAsNative } from './compare';

describe('e2e: thread and process death', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: PR_SET_PDEATHSIG on the forking thread\'s exit and the parent\'s exit; reset by fork', () =>
    sameAsNative([compileC('pdeath')]));
});
