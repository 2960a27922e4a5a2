import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { SECCOMP_RET_ALLOW } from '../../abi/linux/seccomp';
import { checkProgram, decodeProgram, runProgram } from '../../kernel/seccomp/bpf';
import { AF, SOCK } from '../../abi/linux/socket';
import { SYS, type SyscallName } from '../../abi/linux/syscalls';
import { buildSentryFilter, HOST_NETWORK_ALLOWED, SENTRY_DENIED } from './seccomp';

const AUDIT_ARCH_X86_64 = 0xc000003e;
const EPERM = 0x00050001;

/**
 * Runs a filter program on one syscall with the Sentry's own classic-BPF
 * checker and interpreter (kernel/seccomp/bpf.ts, which applies the
 * kernel's rules), over a struct seccomp_data.
 */
function evaluate(prog: Buffer, name: SyscallName, args: number[] = [], arch = AUDIT_ARCH_X86_64): number {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(SYS[name], 0);
  data.writeUInt32LE(arch, 4);
  args.forEach((v, i) => data.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), 16 + 8 * i));
  const p = decodeProgram(prog);
  checkProgram(p);
  return runProgram(p, data);
}

describe('Sentry seccomp filter', () => {
  it('encodes arch check, x32 check, one jump per denied syscall, allow and deny returns', () => {
    const f = buildSentryFilter();
    assert.equal(f.length / 8, 6 + SENTRY_DENIED.length + 2);
    assert.equal(buildSentryFilter({ acceptFd: 5 }).length / 8, 6 + 5 + SENTRY_DENIED.length + 2);
    // The last instruction returns SECCOMP_RET_ERRNO | EPERM.
    assert.equal(f.readUInt32LE(f.length - 4), 0x00050001);
  });

  it('default and pod filters: sockets and connect denied, accept4 only on the control fd', () => {
    const plain = buildSentryFilter();
    const pod = buildSentryFilter({ acceptFd: 7 });
    for (const f of [plain, pod]) {
      assert.equal(evaluate(f, 'socket', [AF.INET, SOCK.STREAM, 0]), EPERM);
      for (const n of ['connect', 'bind', 'listen', 'openat'] as const) assert.equal(evaluate(f, n, [3]), EPERM, n);
      assert.equal(evaluate(f, 'read', [3]), SECCOMP_RET_ALLOW);
      assert.equal(evaluate(f, 'read', [], 0x40000003 /* i386 */), 0x80000000);
    }
    assert.equal(evaluate(plain, 'accept4', [7]), EPERM);
    assert.equal(evaluate(pod, 'accept4', [7]), SECCOMP_RET_ALLOW);
    assert.equal(evaluate(pod, 'accept4', [8]), EPERM);
    assert.equal(evaluate(pod, 'accept4', [7 + 2 ** 32]), SECCOMP_RET_ALLOW, 'fds are ints: the high half is ignored');
  });

  it('host network filter: AF_INET stream and datagram sockets only, connect/bind/listen/accept4', () => {
    for (const f of [buildSentryFilter({ hostNetwork: true }), buildSentryFilter({ hostNetwork: true, acceptFd: 7 })]) {
      for (const type of [SOCK.STREAM, SOCK.DGRAM, SOCK.STREAM | SOCK.NONBLOCK | SOCK.CLOEXEC, SOCK.DGRAM | SOCK.CLOEXEC]) {
        assert.equal(evaluate(f, 'socket', [AF.INET, type, 0]), SECCOMP_RET_ALLOW, `type ${type}`);
      }
      for (const [domain, type] of [[AF.INET, SOCK.RAW], [AF.INET, SOCK.SEQPACKET], [AF.UNIX, SOCK.STREAM], [AF.PACKET, SOCK.RAW], [AF.INET6, SOCK.STREAM], [AF.NETLINK, SOCK.DGRAM]]) {
        assert.equal(evaluate(f, 'socket', [domain, type, 0]), EPERM, `domain ${domain} type ${type}`);
      }
      for (const n of HOST_NETWORK_ALLOWED) assert.equal(evaluate(f, n, [9]), SECCOMP_RET_ALLOW, n);
      for (const n of ['socketpair', 'accept', 'openat', 'execve', 'mount'] as const) assert.equal(evaluate(f, n, [AF.INET, SOCK.STREAM]), EPERM, n);
      assert.equal(evaluate(f, 'sendto', [3]), SECCOMP_RET_ALLOW);
    }
  });

  it('a process under the filter shows Seccomp: 2 and cannot open files, while timers keep working', async () => {
    const script = `
      const fs = require('fs');
      require(${JSON.stringify(require.resolve('./seccomp'))}).installSentryFilter();
      let r; try { fs.openSync('/etc/hostname', 'r'); r = 'opened'; } catch (e) { r = e.code; }
      process.stdout.write(r + '\\n');
      setTimeout(() => process.stdout.write('timer\\n'), 300);`;
    const child = spawn(process.execPath, ['-e', script]);
    let out = '';
    // Read the status once the filter is in (the first line), before the timer ends the child.
    const filtered = new Promise<void>((resolve) => child.stdout.on('data', (d) => ((out += d), resolve())));
    await filtered;
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    await once(child, 'exit');
    assert.match(status, /^Seccomp:\s+2$/m);
    assert.equal(out, 'EPERM\ntimer\n');
  });

  it('with a control socket, accept4 works on that fd only', async () => {
    const dir = mkdtempSync('/var/tmp/tsvisor-seccomp-');
    const script = `
      const u = require(${JSON.stringify(require.resolve('./unixsock'))});
      const a = u.listenUnix('${dir}/a'), b = u.listenUnix('${dir}/b');
      u.connectUnix('${dir}/a'); u.connectUnix('${dir}/b');
      require(${JSON.stringify(require.resolve('./seccomp'))}).installSentryFilter({ acceptFd: a });
      const r = (fd) => { try { return typeof u.acceptUnix(fd); } catch (e) { return 'errno ' + e.errno; } };
      process.stdout.write(r(a) + ' ' + r(b) + '\\n');`;
    const child = spawn(process.execPath, ['-e', script]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await once(child, 'exit');
    rmSync(dir, { recursive: true, force: true });
    assert.equal(out, 'number errno 1\n');
  });

  it('with host networking, the Sentry can still make AF_INET sockets but no unix or packet socket', async () => {
    const script = `
      const h = require(${JSON.stringify(require.resolve('./hostsocket'))});
      const fdio = require(${JSON.stringify(require.resolve('./fdio'))});
      require(${JSON.stringify(require.resolve('./seccomp'))}).installSentryFilter({ hostNetwork: true });
      const r = (fn) => { try { return typeof fn(); } catch (e) { return 'errno ' + e.errno; } };
      const l = h.hostInetSocket(1, 0);
      const a = Buffer.alloc(16); a.writeUInt16LE(2, 0); a.writeUInt32BE(0x7f000001, 4);
      h.hostBind(l, a); h.hostListen(l, 1);
      const c = h.hostInetSocket(1, 0);
      let conn; try { h.hostConnect(c, h.hostSockName(l)); conn = 'connected'; } catch (e) { conn = 'errno ' + e.errno; }
      process.stdout.write([r(() => h.hostInetSocket(2, 0)), conn, r(() => fdio.socketPair())].join(' ') + '\\n');`;
    const child = spawn(process.execPath, ['-e', script]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    await once(child, 'exit');
    // connect on loopback is in progress (EINPROGRESS 115) or done; socketpair(AF_UNIX) is denied.
    assert.match(out, /^number (connected|errno 115) errno 1\n$/);
  });
});
