import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SECCOMP_RET } from '../../sentry/abi/linux/seccomp';
import { SYS } from '../../sentry/abi/linux/syscalls';
import { decodeProgram, runProgram } from '../../sentry/kernel/seccomp/bpf';
import { defaults } from '../proto/codec';
import * as t from '../proto/types';
import { DEFAULT_CAPABILITIES } from './capabilities';
import { seccompOf } from './seccomp';

const sc = (o: Partial<t.LinuxContainerSecurityContext>): t.LinuxContainerSecurityContext => ({ ...defaults('LinuxContainerSecurityContext'), ...o });
const profile = (type: t.SecurityProfile_ProfileType, ref = '') => sc({ seccomp: { profile_type: type, localhost_ref: ref } });

function verdict(filter: string | undefined, nr: number, ...args: number[]): number {
  assert.ok(filter);
  const d = Buffer.alloc(64);
  d.writeInt32LE(nr, 0);
  d.writeUInt32LE(0xc000003e, 4);
  args.forEach((v, i) => d.writeBigUInt64LE(BigInt(v), 16 + 8 * i));
  return runProgram(decodeProgram(Buffer.from(filter, 'base64')), d);
}
const EPERM = SECCOMP_RET.ERRNO | 1;

describe('container seccomp filters (containerd\'s choice of profile)', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsvisor-seccomp-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('none for no profile, Unconfined and "unconfined"; a filter for RuntimeDefault and "runtime/default"', () => {
    assert.equal(seccompOf(null, DEFAULT_CAPABILITIES), undefined);
    assert.equal(seccompOf(profile(t.SecurityProfile_ProfileType.Unconfined), DEFAULT_CAPABILITIES), undefined);
    assert.equal(seccompOf(sc({ seccomp_profile_path: 'unconfined' }), DEFAULT_CAPABILITIES), undefined);
    assert.ok(seccompOf(profile(t.SecurityProfile_ProfileType.RuntimeDefault), DEFAULT_CAPABILITIES));
    assert.ok(seccompOf(sc({ seccomp_profile_path: 'runtime/default' }), DEFAULT_CAPABILITIES));
    assert.throws(() => seccompOf(sc({ seccomp_profile_path: 'bogus' }), DEFAULT_CAPABILITIES), /is not runtime\/default/);
  });

  it('RuntimeDefault: ordinary syscalls pass; namespaces, mounts and the host\'s clock need the capability', () => {
    const dflt = seccompOf(profile(t.SecurityProfile_ProfileType.RuntimeDefault), DEFAULT_CAPABILITIES);
    const admin = seccompOf(profile(t.SecurityProfile_ProfileType.RuntimeDefault), [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    for (const nr of [SYS.read, SYS.openat, SYS.execve, SYS.futex, SYS.socketpair, SYS.chroot]) assert.equal(verdict(dflt, nr), SECCOMP_RET.ALLOW, `nr ${nr}`);
    for (const nr of [SYS.mount, SYS.unshare, SYS.sethostname, SYS.kexec_load, SYS.settimeofday, SYS.ptrace]) assert.equal(verdict(dflt, nr), EPERM, `nr ${nr}`);
    assert.equal(verdict(admin, SYS.mount), SECCOMP_RET.ALLOW);
    assert.equal(verdict(admin, SYS.kexec_load), EPERM);
    assert.equal(verdict(dflt, SYS.clone, 0x11 /* SIGCHLD */), SECCOMP_RET.ALLOW);
    assert.equal(verdict(dflt, SYS.clone, 0x20000000 /* CLONE_NEWNET */), EPERM);
    assert.equal(verdict(admin, SYS.clone, 0x20000000), SECCOMP_RET.ALLOW);
    assert.equal(verdict(dflt, SYS.clone3), SECCOMP_RET.ERRNO | 38);
    assert.equal(verdict(dflt, SYS.personality, 0xffffffff), SECCOMP_RET.ALLOW);
    assert.equal(verdict(dflt, SYS.personality, 0x0040000 /* ADDR_NO_RANDOMIZE */), EPERM);
    assert.equal(verdict(dflt, SYS.socket, 2), SECCOMP_RET.ALLOW);
    assert.equal(verdict(dflt, SYS.socket, 40 /* AF_VSOCK */), EPERM);
  });

  it('Localhost and "localhost/<path>" read the JSON profile; a missing, relative or bad one is refused', () => {
    const file = path.join(dir, 'block-chmod.json');
    fs.writeFileSync(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod', 'fchmodat'], action: 'SCMP_ACT_ERRNO' }] }));
    for (const s of [profile(t.SecurityProfile_ProfileType.Localhost, file), sc({ seccomp_profile_path: `localhost/${file}` })]) {
      const f = seccompOf(s, DEFAULT_CAPABILITIES);
      assert.equal(verdict(f, SYS.fchmodat), EPERM);
      assert.equal(verdict(f, SYS.fchmod), SECCOMP_RET.ALLOW);
    }
    assert.throws(() => seccompOf(profile(t.SecurityProfile_ProfileType.Localhost, path.join(dir, 'none.json')), []), /cannot load seccomp profile/);
    assert.throws(() => seccompOf(profile(t.SecurityProfile_ProfileType.Localhost, 'rel.json'), []), /not an absolute path/);
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ defaultAction: 'SCMP_ACT_NOTIFY' }));
    assert.throws(() => seccompOf(profile(t.SecurityProfile_ProfileType.Localhost, bad), []), /listener/);
  });
});
