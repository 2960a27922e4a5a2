/**
 * What a dying thread or process leaves to others, compared with native
 * runs: PR_SET_PDEATHSIG (per thread, following the thread that forked)
 * and robust futex lists (pthread robust mutexes see EOWNERDEAD).
 */
import { checkNoLeaks, compileC } from './harness';
import { sameAsNative } from './compare';

describe('e2e: thread and process death', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: PR_SET_PDEATHSIG on the forking thread\'s exit and the parent\'s exit; reset by fork', () =>
    sameAsNative([compileC('pdeath')]));

  it('C: robust mutexes held by a dying thread, process, killed process or exec are EOWNERDEAD', () =>
    sameAsNative([compileC('robust')], {}, [
      'thread exited holding m1: lock EOWNERDEAD, consistent 0, unlock 0, lock again 0',
      'and m2: lock EOWNERDEAD, consistent 0, unlock 0, lock again 0',
      'blocked locker woken by the owner\'s death: EOWNERDEAD',
      'process exited holding it: lock EOWNERDEAD, consistent 0, unlock 0, lock again 0',
      'process killed holding it: lock EOWNERDEAD, consistent 0, unlock 0, lock again 0',
      'process exec\'d holding it: lock EOWNERDEAD, consistent 0, unlock 0, lock again 0',
      'a normal mutex is untouched: trylock 0',
      '',
    ].join('\n')));
});
