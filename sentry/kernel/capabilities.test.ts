import assert from 'node:assert/strict';
import { CAP, CAP_FULL_SET, capBit } from '../abi/linux/capability';
import { capNames, capsOnCapset, capsOnExec, capsOnUidChange, capSetsOf, formatCapSet, hostCaps, parseStatusCaps, secureExec } from './capabilities';

const bits = (...caps: number[]) => caps.reduce((s, c) => s | capBit(c), 0n);
const root = { uid: 0, euid: 0, suid: 0 };
const user = { uid: 1000, euid: 1000, suid: 1000 };

describe('virtual capabilities (capabilities(7) rules)', () => {
  it('names and formats as the OCI spec and /proc/[pid]/status do', () => {
    const s = capSetsOf({ bounding: ['CAP_CHOWN', 'CAP_SYS_ADMIN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'], inheritable: [], ambient: [] });
    assert.equal(formatCapSet(s.bounding), '0000000000200001');
    assert.deepEqual(capNames(s.bounding), ['CAP_CHOWN', 'CAP_SYS_ADMIN']);
    assert.equal(formatCapSet(CAP_FULL_SET), '000001ffffffffff');
    assert.throws(() => capSetsOf({ bounding: ['CAP_NOPE'], effective: [], permitted: [], inheritable: [], ambient: [] }), /unknown capability "CAP_NOPE"/);
  });

  it('keeps effective within permitted and ambient within permitted and inheritable', () => {
    const s = capSetsOf({ bounding: [], effective: ['CAP_KILL'], permitted: [], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] });
    assert.equal(s.effective, 0n);
    assert.equal(s.ambient, 0n);
  });

  it('exec: root gets its bounding and inheritable sets, a non-root user only its ambient set', () => {
    const start = { bounding: bits(CAP.CHOWN, CAP.KILL), permitted: bits(CAP.CHOWN), effective: 0n, inheritable: 0n, ambient: 0n };
    const r = capsOnExec(start, root, false, false);
    assert.equal(r.permitted, bits(CAP.CHOWN, CAP.KILL));
    assert.equal(r.effective, r.permitted);
    const withAmbient = { ...start, permitted: bits(CAP.KILL, CAP.CHOWN), inheritable: bits(CAP.KILL), ambient: bits(CAP.KILL) };
    const u = capsOnExec(withAmbient, user, false, false);
    assert.deepEqual([u.permitted, u.effective, u.ambient], [bits(CAP.KILL), bits(CAP.KILL), bits(CAP.KILL)]);
    // Real uid 0 with another effective uid: permitted, but not effective.
    const realRoot = capsOnExec(start, { uid: 0, euid: 5, suid: 5 }, true, false);
    assert.deepEqual([realRoot.permitted, realRoot.effective, realRoot.ambient], [bits(CAP.CHOWN, CAP.KILL), 0n, 0n]);
  });

  it('exec under no_new_privs gains nothing; a set-id exec clears the ambient set', () => {
    const start = { bounding: bits(CAP.CHOWN, CAP.KILL), permitted: bits(CAP.CHOWN), effective: 0n, inheritable: bits(CAP.CHOWN), ambient: bits(CAP.CHOWN) };
    assert.equal(capsOnExec(start, root, false, true).permitted, bits(CAP.CHOWN));
    const setuidRoot = capsOnExec(start, { uid: 1000, euid: 0, suid: 0 }, true, false);
    assert.deepEqual([setuidRoot.permitted, setuidRoot.ambient], [bits(CAP.CHOWN, CAP.KILL), 0n]);
  });

  it('AT_SECURE: set-id, or a non-root process holding more than its ambient set', () => {
    const none = { ...hostCaps(user) };
    assert.equal(secureExec({ ...user, gid: 1, egid: 1 }, none), false);
    assert.equal(secureExec({ ...user, gid: 1, egid: 2 }, none), true);
    assert.equal(secureExec({ ...user, gid: 1, egid: 1 }, { ...none, permitted: bits(CAP.KILL) }), true);
    assert.equal(secureExec({ ...root, gid: 0, egid: 0 }, hostCaps(root)), false);
  });

  it('uid changes: leaving root clears permitted and effective (kept with keep-caps), ambient always; euid back to 0 restores effective', () => {
    const caps = { ...hostCaps(root), inheritable: bits(CAP.KILL), ambient: bits(CAP.KILL) };
    const dropped = capsOnUidChange(caps, root, user, false);
    assert.deepEqual([dropped.permitted, dropped.effective, dropped.ambient, dropped.bounding], [0n, 0n, 0n, CAP_FULL_SET]);
    const kept = capsOnUidChange(caps, root, user, true);
    assert.deepEqual([kept.permitted, kept.effective, kept.ambient], [CAP_FULL_SET, 0n, 0n]);
    const seteuid = capsOnUidChange(caps, root, { uid: 0, euid: 1000, suid: 0 }, false);
    assert.deepEqual([seteuid.permitted, seteuid.effective, seteuid.ambient], [CAP_FULL_SET, 0n, bits(CAP.KILL)]);
    assert.equal(capsOnUidChange(seteuid, { uid: 0, euid: 1000, suid: 0 }, root, false).effective, CAP_FULL_SET);
  });

  it('capset: permitted only shrinks, effective within permitted, inheritable within the bounding set and (without CAP_SETPCAP) permitted', () => {
    const old = { bounding: bits(CAP.CHOWN, CAP.KILL, CAP.SETPCAP), permitted: bits(CAP.CHOWN, CAP.SETPCAP), effective: bits(CAP.CHOWN, CAP.SETPCAP), inheritable: 0n, ambient: 0n };
    assert.equal(capsOnCapset(old, { permitted: bits(CAP.CHOWN, CAP.KILL), effective: 0n, inheritable: 0n }), undefined);
    assert.equal(capsOnCapset(old, { permitted: bits(CAP.CHOWN), effective: bits(CAP.SETPCAP), inheritable: 0n }), undefined);
    assert.equal(capsOnCapset(old, { permitted: old.permitted, effective: 0n, inheritable: bits(CAP.SYS_ADMIN) }), undefined);
    assert.equal(capsOnCapset(old, { permitted: old.permitted, effective: old.effective, inheritable: bits(CAP.KILL) })?.inheritable, bits(CAP.KILL));
    const noSetpcap = { ...old, effective: bits(CAP.CHOWN) };
    assert.equal(capsOnCapset(noSetpcap, { permitted: old.permitted, effective: 0n, inheritable: bits(CAP.KILL) }), undefined);
    const amb = capsOnCapset({ ...old, inheritable: bits(CAP.CHOWN), ambient: bits(CAP.CHOWN) }, { permitted: bits(CAP.SETPCAP), effective: 0n, inheritable: bits(CAP.CHOWN) });
    assert.equal(amb?.ambient, 0n);
  });
  it('reads the five sets of a /proc/[pid]/status', () => {
    const status = 'Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000020\nNoNewPrivs:\t0\n';
    assert.deepEqual(parseStatusCaps(status), { inheritable: 0n, permitted: 0x1fffeffffffn, effective: 0x1fffeffffffn, bounding: 0x1fffeffffffn, ambient: 0x20n });
    assert.equal(parseStatusCaps('Name:\tx\nCapInh:\t0\n'), undefined);
  });
});
