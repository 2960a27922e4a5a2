/**
 * NUMA memory policies and membarrier, each a C program run natively and in
 * the sandbox: set_mempolicy/get_mempolicy/mbind with their modes, flags,
 * nodemasks and errors, the areas mbind splits and merges, inheritance by
 * threads, fork and exec; membarrier's commands, registrations (shared by
 * threads, kept by fork, dropped by exec) and errors. Before, all four
 * syscalls were ENOSYS.
 */
import { expectNativeLines, sameAsNative } from './compare';
import { checkNoLeaks, compileC } from './harness';

describe('e2e: NUMA policies and membarrier', function () {
  this.timeout(120_000);
  checkNoLeaks();

  it('C: set_mempolicy, get_mempolicy and mbind, as natively', () => {
    const r = sameAsNative([compileC('mempolicy')]);
    expectNativeLines(r.native.stdout, ['bind static {0, 5}: 0 -> mode 32770 mask 0x21', 'mbind: 0, areas 3', 'over the hole: EFAULT', 'forked child: page 1 mode 2 mask 0x1', 'after exec: mode 3 mask 0x1']);
  });

  it('C: membarrier commands and registrations, as natively', () => {
    const r = sameAsNative([compileC('membarrier')]);
    expectNativeLines(r.native.stdout, ['unregistered: private expedited EPERM', 'registrations: 84', 'forked child: registrations 84', 'after exec: registrations 0']);
  });
});
