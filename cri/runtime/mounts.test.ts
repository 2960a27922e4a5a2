import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaults } from '../proto/codec';
import { MountPropagation, type Mount } from '../proto/types';
import { checkReadOnlyMounts, hostMountsBelow, withWritableSubmounts } from './mounts';

describe('cri/runtime mounts', () => {
  let dir: string;
  let mountinfo: string;
  const mount = (o: Partial<Mount>): Mount => ({ ...defaults('Mount'), ...o });

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsvisor-mounts-'));
    for (const d of ['vol/tmpfs/inner', 'vol/data', 'vol2', 'volume-sibling']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    fs.writeFileSync(path.join(dir, 'vol', 'file'), '');
    // Lines as the kernel writes them; only field 5 (the mount point) matters. `vol/file` is a file bind mount.
    const line = (n: number, p: string) => `${n} 1 0:${n} / ${p.replace(/ /g, '\\040')} rw,relatime shared:1 - tmpfs none rw`;
    mountinfo = [
      line(20, '/'),
      line(21, dir),
      line(22, path.join(dir, 'vol/tmpfs')),
      line(23, path.join(dir, 'vol/tmpfs/inner')),
      line(24, path.join(dir, 'vol/data')),
      line(25, path.join(dir, 'vol/file')),
      line(26, path.join(dir, 'volume-sibling')),
      line(27, path.join(dir, 'vol/data')),
      '',
    ].join('\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds the outermost directories mounted below a host path, not the path itself, siblings or files', () => {
    assert.deepEqual(hostMountsBelow(path.join(dir, 'vol'), mountinfo), [path.join(dir, 'vol/data'), path.join(dir, 'vol/tmpfs')]);
    assert.deepEqual(hostMountsBelow(path.join(dir, 'vol2'), mountinfo), []);
  });

  it('gives a non-recursive read-only mount a writable mount per host mount below it; others stay as they are', () => {
    const ro = mount({ host_path: path.join(dir, 'vol'), container_path: '/mnt', readonly: true });
    const rro = mount({ host_path: path.join(dir, 'vol'), container_path: '/rro', readonly: true, recursive_read_only: true });
    const rw = mount({ host_path: path.join(dir, 'vol'), container_path: '/rw' });
    assert.deepEqual(withWritableSubmounts([ro, rro, rw], mountinfo), [
      ro,
      { ...ro, host_path: path.join(dir, 'vol/data'), container_path: '/mnt/data', readonly: false },
      { ...ro, host_path: path.join(dir, 'vol/tmpfs'), container_path: '/mnt/tmpfs', readonly: false },
      rro,
      rw,
    ]);
  });

  it('refuses a recursive read-only mount that is not read-only or not private', () => {
    const rro = mount({ container_path: '/mnt', readonly: true, recursive_read_only: true });
    checkReadOnlyMounts([rro, mount({ container_path: '/x', readonly: true })]);
    assert.throws(() => checkReadOnlyMounts([{ ...rro, readonly: false }]), /mount "\/mnt": recursive_read_only needs readonly/);
    for (const p of [MountPropagation.PROPAGATION_HOST_TO_CONTAINER, MountPropagation.PROPAGATION_BIDIRECTIONAL]) {
      assert.throws(() => checkReadOnlyMounts([{ ...rro, propagation: p }]), new RegExp(`needs private propagation, got ${MountPropagation[p]}`));
    }
  });
});
