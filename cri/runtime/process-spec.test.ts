import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaults } from '../proto/codec';
import type * as t from '../proto/types';
import { commandOf, envOf, processSpecOf, resolveUser } from './process-spec';

describe('container process spec (image config + CRI config)', () => {
  let root: string;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsvisor-spec-'));
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\napp:x:1001:\nvideo:x:44:app,other\nstaff:x:50:\n');
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const config = (o: Partial<t.ContainerConfig>): t.ContainerConfig => ({ ...defaults('ContainerConfig'), ...o });

  it('follows the Kubernetes rules for command and args against Entrypoint and Cmd', () => {
    const image = { Entrypoint: ['/ep'], Cmd: ['c1', 'c2'] };
    assert.deepEqual(commandOf(image, { command: [], args: [] }), ['/ep', 'c1', 'c2']);
    assert.deepEqual(commandOf(image, { command: [], args: ['a'] }), ['/ep', 'a']);
    assert.deepEqual(commandOf(image, { command: ['/cmd'], args: [] }), ['/cmd']);
    assert.deepEqual(commandOf(image, { command: ['/cmd'], args: ['a'] }), ['/cmd', 'a']);
    assert.deepEqual(commandOf({ Cmd: ['sh'] }, { command: [], args: [] }), ['sh']);
  });

  it('CRI envs override the image environment; PATH is defaulted only when absent', () => {
    assert.deepEqual(envOf({ Env: ['PATH=/x', 'A=1', 'B=2'] }, [{ key: 'A', value: 'over' }, { key: 'C', value: '3' }]), [
      'PATH=/x', 'A=over', 'B=2', 'C=3',
    ]);
    assert.deepEqual(envOf({}, [{ key: 'X', value: 'y=z' }]), ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'X=y=z']);
  });

  it('resolves users and groups in the image databases like runc', () => {
    assert.deepEqual(resolveUser(root, 'app'), { uid: 1000, gid: 1001, groups: [44] });
    assert.deepEqual(resolveUser(root, '1000'), { uid: 1000, gid: 1001, groups: [44] });
    assert.deepEqual(resolveUser(root, '1234'), { uid: 1234, gid: 0, groups: [] });
    assert.deepEqual(resolveUser(root, 'app:staff'), { uid: 1000, gid: 50, groups: [44] });
    assert.deepEqual(resolveUser(root, '5:7'), { uid: 5, gid: 7, groups: [] });
    assert.throws(() => resolveUser(root, 'nobody-here'), /not found in the image's \/etc\/passwd/);
    assert.throws(() => resolveUser(root, '0:nogroup'), /not found in the image's \/etc\/group/);
  });

  it('run_as_user/run_as_group and supplemental groups win over the image user; a relative working dir is refused', () => {
    const sc = { ...defaults('LinuxContainerSecurityContext'), run_as_user: { value: '1000' }, run_as_group: { value: '77' }, supplemental_groups: ['9'] };
    const spec = processSpecOf(root, { User: 'root', WorkingDir: '/srv', Cmd: ['true'] }, config({ linux: { resources: null, security_context: sc } }));
    assert.deepEqual(
      { argv: spec.argv, cwd: spec.cwd, uid: spec.uid, gid: spec.gid, groups: spec.groups },
      { argv: ['true'], cwd: '/srv', uid: 1000, gid: 77, groups: [44, 9] },
    );
    assert.throws(() => processSpecOf(root, { Cmd: ['true'] }, config({ working_dir: 'rel' })), /not absolute/);
    const groupOnly = { ...defaults('LinuxContainerSecurityContext'), run_as_group: { value: '77' } };
    assert.throws(() => processSpecOf(root, { Cmd: ['true'] }, config({ linux: { resources: null, security_context: groupOnly } })), /run_as_group is set without run_as_user or run_as_username/);
    const named = processSpecOf(root, { Cmd: ['true'] }, config({ linux: { resources: null, security_context: { ...groupOnly, run_as_username: 'app' } } }));
    assert.deepEqual([named.uid, named.gid], [1000, 77]);
    assert.throws(() => processSpecOf(root, {}, config({})), /no command specified/);
  });
});
