import assert from 'node:assert/strict';
import { CAP_NAMES } from '../../sentry/abi/linux/capability';
import { capabilitiesOf, DEFAULT_CAPABILITIES } from './capabilities';

const caps = (add: string[], drop: string[], ambient: string[] = []) =>
  capabilitiesOf({ add_capabilities: add, drop_capabilities: drop, add_ambient_capabilities: ambient });

describe('container capabilities (containerd rules)', () => {
  it('defaults to containerd\'s 14 capabilities in bounding, permitted and effective; nothing inheritable', () => {
    const c = capabilitiesOf(null);
    assert.deepEqual(new Set(c.bounding), new Set(DEFAULT_CAPABILITIES));
    assert.equal(c.bounding.length, 14);
    assert.deepEqual([c.permitted, c.effective, c.inheritable, c.ambient], [c.bounding, c.bounding, [], []]);
  });

  it('adds and drops names without the CAP_ prefix, any case', () => {
    const c = caps(['NET_ADMIN', 'sys_admin'], ['NET_RAW', 'CAP_CHOWN']);
    assert.ok(c.bounding.includes('CAP_NET_ADMIN') && c.bounding.includes('CAP_SYS_ADMIN'));
    assert.ok(!c.bounding.includes('CAP_NET_RAW') && !c.bounding.includes('CAP_CHOWN'));
  });

  it('ALL first, then the named ones: add ALL drop CHOWN, drop ALL add KILL', () => {
    const all = caps(['ALL'], ['CHOWN']).bounding;
    assert.equal(all.length, CAP_NAMES.length - 1);
    assert.ok(!all.includes('CAP_CHOWN'));
    assert.deepEqual(caps(['KILL'], ['ALL']).bounding, ['CAP_KILL']);
    assert.deepEqual(caps([], ['ALL']).bounding, []);
  });

  it('ambient capabilities go into inheritable and ambient and must be granted; unknown names are refused', () => {
    const c = caps(['NET_ADMIN'], [], ['NET_ADMIN']);
    assert.deepEqual([c.inheritable, c.ambient], [['CAP_NET_ADMIN'], ['CAP_NET_ADMIN']]);
    assert.throws(() => caps([], [], ['SYS_ADMIN']), /ambient capability CAP_SYS_ADMIN is not in the container's capability set/);
    assert.throws(() => caps(['FLY'], []), /unknown capability "FLY"/);
  });
});
