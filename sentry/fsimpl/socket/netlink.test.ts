import assert from 'node:assert/strict';
import { Errno } from '../../abi/linux/errno';
import { ARPHRD_ETHER } from '../../abi/linux/netdevice';
import { IFINFOMSG, NETLINK_OPT, NLM_F, NLMSG, RTM } from '../../abi/linux/netlink';
import { POLL } from '../../abi/linux/poll';
import { SOCK } from '../../abi/linux/socket';
import { LinuxError } from '../../errors/linuxerr';
import { Block } from '../../kernel/wait';
import { NicCounters } from '../../net/nic';
import type { SandboxInterface } from './ifaces';
import { DUMP_CHUNK_MAX, DUMP_CHUNK_MIN, NetlinkPorts, NetlinkSocket } from './netlink';
import { nlMessage, splitMessages } from './nlmsg';
import type { RouteView } from './rtnetlink';

/** `n` Ethernet interfaces (more than a page of RTM_NEWLINK messages). */
function manyInterfaces(n: number): RouteView {
  const interfaces: SandboxInterface[] = [];
  for (let i = 1; i <= n; i++) {
    interfaces.push({
      index: i, name: `eth${i}`, flags: 0x1043, hwType: ARPHRD_ETHER, mac: Buffer.alloc(6, i), mtu: 1500,
      address: 0x0a000000 + i, prefixLength: 8, broadcast: 0x0affffff, counters: new NicCounters(),
    });
  }
  return { interfaces };
}

let ino = 0;
function socketOn(ports: NetlinkPorts): NetlinkSocket {
  return new NetlinkSocket(ports, SOCK.RAW, false, { dev: 9, ino: ++ino, uid: 0, gid: 0 });
}

const me = { pid: 7, uid: 0 };
const nowait = { nonblock: true };

function linkDump(seq: number): Buffer {
  return nlMessage(RTM.GETLINK, NLM_F.REQUEST | NLM_F.DUMP, seq, 0, [Buffer.alloc(IFINFOMSG.SIZE)]);
}

/** Reads every datagram queued now: their lengths and the messages' types. */
function drain(s: NetlinkSocket, len: number): { lengths: number[]; types: number[][] } {
  const lengths: number[] = [];
  const types: number[][] = [];
  for (;;) {
    let r;
    try {
      r = s.recv(len, false, nowait);
    } catch (e) {
      if (e instanceof LinuxError && e.errno === Errno.EAGAIN) return { lengths, types };
      throw e;
    }
    lengths.push(r.fullLength);
    types.push(splitMessages(r.data).map((m) => m.type));
  }
}

describe('NetlinkSocket', () => {
  it('dumps come in whole-message chunks that fit a page reader, then a bigger reader; NLMSG_DONE alone', () => {
    const ports = new NetlinkPorts(() => manyInterfaces(60));
    const s = socketOn(ports);
    s.send(linkDump(1), undefined, me);
    // A page-sized reader (glibc) never sees a chunk it cannot take whole.
    const small = drain(s, 4096);
    assert.ok(small.lengths.every((n) => n <= DUMP_CHUNK_MIN), JSON.stringify(small.lengths));
    assert.equal(small.types.flat().filter((t) => t === RTM.NEWLINK).length, 60);
    assert.deepEqual(small.types.at(-1), [NLMSG.DONE]);
    // After a 32 KiB read, chunks grow up to the largest read (capped).
    s.send(linkDump(2), undefined, me);
    const big = drain(s, 1 << 20);
    assert.ok(big.lengths[1] > DUMP_CHUNK_MIN && big.lengths.every((n) => n <= DUMP_CHUNK_MAX), JSON.stringify(big.lengths));
    assert.deepEqual(big.types.at(-1), [NLMSG.DONE]);
    assert.equal(big.types.flat().length, 61);
  });

  it('a second dump while one runs is EBUSY; the first one goes on', () => {
    const s = socketOn(new NetlinkPorts(() => manyInterfaces(60)));
    s.send(linkDump(1), undefined, me);
    s.send(linkDump(2), undefined, me);
    const first = s.recv(65536, false, nowait);
    assert.deepEqual(splitMessages(first.data).map((m) => m.seq)[0], 1);
    const err = splitMessages(s.recv(65536, false, nowait).data)[0];
    assert.deepEqual([err.type, err.seq, err.payload.readInt32LE(0)], [NLMSG.ERROR, 2, -Errno.EBUSY]);
  });

  it('replies past the receive buffer are dropped and the next read fails with ENOBUFS (unless NETLINK_NO_ENOBUFS)', () => {
    const ports = new NetlinkPorts(() => manyInterfaces(1));
    const s = socketOn(ports);
    s.rcvbuf = 2304;
    const ping = nlMessage(RTM.GETLINK, NLM_F.REQUEST | NLM_F.ACK, 3, 0, [Buffer.from([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]);
    for (let i = 0; i < 100; i++) s.send(ping, undefined, me);
    assert.equal(s.readiness() & POLL.ERR, POLL.ERR);
    assert.throws(() => s.recv(100, false, nowait), (e: unknown) => e instanceof LinuxError && e.errno === Errno.ENOBUFS);
    assert.ok(drain(s, 65536).lengths.length < 200);
    s.setOption(NETLINK_OPT.NO_ENOBUFS, 1);
    for (let i = 0; i < 100; i++) s.send(ping, undefined, me);
    assert.ok(drain(s, 65536).lengths.length > 0);
  });

  it('readiness, blocking reads and port ids: the pid first, then negative ids; released on close', () => {
    const ports = new NetlinkPorts(() => manyInterfaces(1));
    const a = socketOn(ports);
    assert.equal(a.readiness(), POLL.OUT | POLL.WRNORM | POLL.WRBAND);
    assert.throws(() => a.recv(100, false, { nonblock: false }), (e: unknown) => e instanceof Block);
    a.bind({ pid: 0, groups: 0 }, me);
    const b = socketOn(ports);
    b.send(linkDump(1), undefined, me);
    assert.equal(a.localName().pid, 7);
    assert.ok(b.localName().pid <= -4097, String(b.localName().pid));
    assert.equal(b.readiness() & POLL.IN, POLL.IN);
    const c = socketOn(ports);
    assert.throws(() => c.bind({ pid: 7, groups: 0 }, me), (e: unknown) => e instanceof LinuxError && e.errno === Errno.EADDRINUSE);
    a.decRef();
    c.bind({ pid: 7, groups: 5 }, me);
    assert.deepEqual(c.localName(), { pid: 7, groups: 5 });
    assert.throws(() => c.bind({ pid: 8, groups: 0 }, me), (e: unknown) => e instanceof LinuxError && e.errno === Errno.EINVAL);
  });
});
