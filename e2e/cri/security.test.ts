/**
 * A container's security context in a gvisor pod against the same context
 * in containerd + runc (the reference: Linux itself): capabilities (the
 * default set, add/drop, a non-root user), sethostname with CAP_SYS_ADMIN,
 * a bridge with CAP_NET_ADMIN (listed in /sys),
 * masked and read-only paths, seccomp profiles and pod sysctls. Each case runs the same script in a
 * container of each pod (the runc pod through tsvisor's --upstream) and
 * the outputs must be identical.
 */
import assert from 'node:assert/strict';
import { crictl, crictlOk, type CriServer, type PodPair, startPodPair, writeJson } from './harness';

type Side = 'runc' | 'gvisor';
const SIDES: Side[] = ['runc', 'gvisor'];

describe('container security context: gvisor pod vs containerd/runc', function () {
  this.timeout(300_000);
  let pair: PodPair;
  let cri: CriServer;
  let dir: string;
  let busybox = '';
  const pods: Record<Side, string> = { runc: '', gvisor: '' };
  let n = 0;

  const ok = (args: string[]): Promise<string> => crictlOk(cri, args, () => cri.log());

  const podConfig = (side: Side, name = `sec-${side}`, linux: object = {}): string =>
    writeJson(dir, `pod-${name}.json`, { metadata: { name, namespace: 'e2e-security', uid: `uid-${name}`, attempt: 0 }, hostname: 'sec-host', linux });

  /**
   * Runs `script` (stdout and stderr merged) in a new container with
   * `securityContext` on each side (in `on`'s pods, by default the shared
   * ones); returns both outputs.
   */
  async function onBoth(securityContext: object, script: string, on: Record<Side, { id: string; config: string }> | undefined = undefined): Promise<Record<Side, string>> {
    const out: Record<Side, string> = { runc: '', gvisor: '' };
    for (const side of SIDES) {
      const pod = on?.[side] ?? { id: pods[side], config: podConfig(side) };
      const ctr = writeJson(dir, `ctr-${n++}.json`, {
        metadata: { name: `c${n}` }, image: { image: busybox }, command: ['sleep', '1000'], linux: { security_context: securityContext },
      });
      const id = (await ok(['create', pod.id, ctr, pod.config])).trim();
      try {
        await ok(['start', id]);
        out[side] = await ok(['exec', '-s', id, 'sh', '-c', `exec 2>&1; ${script}`]);
      } finally {
        await crictl(cri, ['rm', '-f', id]);
      }
    }
    return out;
  }

  before(async () => {
    pair = await startPodPair('secctx', 240, (side, d) => ((dir = d), podConfig(side)));
    ({ cri, busybox } = pair);
    Object.assign(pods, pair.pods);
  });

  after(async () => {
    await pair?.stop();
  });

  const CAPS = "grep -E '^(Cap|NoNewPrivs)' /proc/self/status";

  /** A bridge needs CAP_NET_ADMIN; once made, /sys lists it beside the pod's interfaces, down. */
  const ADDBR = 'brctl addbr foobar; echo addbr=$?; ls /sys/class/net';
  const BRIDGE = `${ADDBR}; cat /sys/class/net/foobar/operstate /sys/class/net/foobar/flags`;

  it('the default capabilities are containerd\'s 14, in every set but inheritable and ambient', async () => {
    const out = await onBoth({}, `${CAPS}; ${ADDBR}`);
    assert.match(out.runc, /^CapBnd:\t00000000a80425fb$/m);
    assert.match(out.runc, /^addbr=1\neth0\nlo\n/m);
    assert.equal(out.gvisor, out.runc);
  });

  it('added and dropped capabilities decide what root may do: chown without CAP_CHOWN, sethostname with CAP_SYS_ADMIN', async () => {
    const sc = { capabilities: { add_capabilities: ['NET_ADMIN', 'SYS_ADMIN'], drop_capabilities: ['CHOWN', 'KILL'] } };
    const out = await onBoth(sc, `${CAPS}; chown 1 /etc/passwd; echo chown=$?; hostname renamed; echo hostname=$? $(hostname) $(cat /proc/sys/kernel/hostname); ${BRIDGE}`);
    assert.match(out.runc, /^chown: \/etc\/passwd: Operation not permitted\nchown=1\nhostname=0 renamed renamed$/m);
    assert.match(out.runc, /^addbr=0\neth0\nfoobar\nlo\ndown\n0x1002$/m);
    assert.equal(out.gvisor, out.runc);
  });

  it('a non-root user keeps no capability after exec; with none at all root cannot override permissions', async () => {
    const user = await onBoth({ run_as_user: { value: 1000 } }, `${CAPS}; id -u; cat /root 2>&1 | head -1`);
    assert.match(user.runc, /^CapEff:\t0000000000000000$/m);
    assert.equal(user.gvisor, user.runc);
    const none = await onBoth({ capabilities: { drop_capabilities: ['ALL'] } }, `${CAPS}; touch /etc/passwd; echo rc=$?; hostname other; echo rc=$?`);
    assert.match(none.runc, /^CapBnd:\t0000000000000000$/m);
    assert.equal(none.gvisor, none.runc);
  });

  it('masked paths read empty (a file is /dev/null, a directory an empty read-only tmpfs); read-only paths refuse writes', async () => {
    const sc = { masked_paths: ['/etc/group', '/home', '/no/such/file'], readonly_paths: ['/var', '/etc/passwd'] };
    const script = [
      'cat /etc/group; echo group=$?', "stat -c '%F' /etc/group", 'ls -a /home', 'touch /home/x; echo home=$?',
      'touch /var/x; echo var=$?', 'echo more >> /etc/passwd; echo passwd=$?', 'touch /etc/other; echo etc=$?',
    ].join('; ');
    const out = await onBoth(sc, script);
    assert.match(out.runc, /^character special file\n\.\n\.\.\n.*Read-only file system\nhome=1\n/m);
    assert.equal(out.gvisor, out.runc);
  });

  it('seccomp: RuntimeDefault and a localhost profile filter the same syscalls; Seccomp: 2 in /proc/self/status', async () => {
    const script = "grep '^Seccomp:' /proc/self/status; chmod 400 /; echo chmod=$?; hostname other; echo hostname=$?; unshare -n true; echo unshare=$?; echo ok";
    const dflt = await onBoth({ seccomp: { profile_type: 0 } }, script);
    assert.match(dflt.runc, /^Seccomp:\t2\nchmod=0\n.*Operation not permitted\nhostname=1\n.*Operation not permitted\nunshare=1\nok\n/);
    assert.equal(dflt.gvisor, dflt.runc);
    const profile = writeJson(dir, 'block-chmod.json', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod', 'fchmodat'], action: 'SCMP_ACT_ERRNO' }] });
    const local = await onBoth({ seccomp: { profile_type: 2, localhost_ref: profile } }, script);
    assert.match(local.runc, /^Seccomp:\t2\nchmod: \/: Operation not permitted\nchmod=1\n/);
    assert.equal(local.gvisor, local.runc);
  });

  it('pod sysctls of its own namespaces are set and read back; /proc/sys is read-only in the container; a host sysctl is refused', async () => {
    const sysctls = { 'kernel.shm_rmid_forced': '1', 'fs.mqueue.msg_max': '100', 'net.core.somaxconn': '1000', 'net/ipv4/ip_local_port_range': '1024 2048' };
    const withSysctls: Record<Side, { id: string; config: string }> = { runc: { id: '', config: '' }, gvisor: { id: '', config: '' } };
    try {
      for (const side of SIDES) {
        const config = podConfig(side, `sysctl-${side}`, { sysctls });
        withSysctls[side] = { id: (await ok(['runp', ...(side === 'gvisor' ? ['--runtime', 'gvisor'] : []), config])).trim(), config };
      }
      const files = ['kernel/shm_rmid_forced', 'fs/mqueue/msg_max', 'net/core/somaxconn', 'net/ipv4/ip_local_port_range'].map((f) => `/proc/sys/${f}`);
      // kubelet makes /proc/sys read-only in every unprivileged container.
      const out = await onBoth({ readonly_paths: ['/proc/sys'] }, `cat ${files.join(' ')}; echo 0 > /proc/sys/kernel/shm_rmid_forced; echo rc=$?`, withSysctls);
      assert.match(out.runc, /^1\n100\n1000\n1024\t2048\n.*Read-only file system\nrc=[12]\n/);
      assert.equal(out.gvisor, out.runc);
    } finally {
      for (const side of SIDES) if (withSysctls[side].id) await crictl(cri, ['rmp', '-f', withSysctls[side].id]);
    }
    for (const side of SIDES) {
      const r = await crictl(cri, ['runp', ...(side === 'gvisor' ? ['--runtime', 'gvisor'] : []), podConfig(side, `swappiness-${side}`, { sysctls: { 'vm.swappiness': '10' } })]);
      assert.notEqual(r.code, 0, `${side}: a pod with vm.swappiness must not run: ${r.stdout}`);
      if (side === 'gvisor') assert.match(r.stderr, /InvalidArgument desc = sysctl \\"vm\.swappiness\\" is not in a separate kernel namespace/);
    }
  });
});
