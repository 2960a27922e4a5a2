import assert from 'node:assert/strict';
import { BRCTL, SIOC_BRIDGE } from '../abi/linux/bridge';
import { Errno } from '../abi/linux/errno';
import { IFREQ, SIOC } from '../abi/linux/netdevice';
import { AF, SOCK } from '../abi/linux/socket';
import { Credentials } from '../kernel/creds';
import { buildRootVfs } from '../vfs/mounts';
import { callRow, errnoOf, FakeGofer, makeTask } from '../vfs/testkit';
import { fsRows } from './fs';
import { socketRows } from './socket';

const rows = { ...fsRows, ...socketRows };

function sandbox(creds?: Credentials) {
  const r = makeTask((k) => buildRootVfs({ gofer: new FakeGofer(), overlay: 'memory', kernel: k, host: { cpuinfo: '', memTotalKb: 1 } }), creds);
  const fd = callRow(rows, r.task, 'socket', AF.UNIX, SOCK.STREAM, 0);
  const ioctl = (cmd: number, arg: number) => callRow(rows, r.task, 'ioctl', fd, cmd, arg);
  /** An ifreq naming `name`, its union's int `value`. */
  const ifreq = (name: string, value = 0) => {
    const b = Buffer.alloc(IFREQ.SIZE);
    b.write(name, IFREQ.NAME, 'latin1');
    b.writeInt32LE(value, IFREQ.UNION);
    return r.mem.alloc(b.length, b);
  };
  /** SIOCGIFBR/SIOCSIFBR's unsigned long args[3]. */
  const args = (...v: number[]) => {
    const b = Buffer.alloc(24);
    v.forEach((x, i) => b.writeBigUInt64LE(BigInt(x), i * 8));
    return r.mem.alloc(b.length, b);
  };
  return { ...r, ioctl, ifreq, args };
}

describe('bridge ioctls', () => {
  it('SIOCBRADDBR makes a down interface without addresses, numbered after the others; SIOCBRDELBR removes it', () => {
    const { ioctl, ifreq, mem } = sandbox();
    assert.equal(ioctl(SIOC_BRIDGE.BRADDBR, mem.str('br%d')), 0);
    assert.equal(ioctl(SIOC_BRIDGE.BRADDBR, mem.str('br%d')), 0);
    const index = ifreq('br1');
    ioctl(SIOC.GIFINDEX, index);
    // lo is 1 and there is no Ethernet interface: br0 is 2, br1 3.
    assert.equal(mem.read(index + IFREQ.UNION, 4).readInt32LE(0), 3);
    const flags = ifreq('br1');
    ioctl(SIOC.GIFFLAGS, flags);
    assert.equal(mem.read(flags + IFREQ.UNION, 2).readUInt16LE(0), 0x1002, 'BROADCAST|MULTICAST, down');
    assert.equal(errnoOf(() => ioctl(SIOC.GIFADDR, ifreq('br1'))), Errno.EADDRNOTAVAIL);
    assert.equal(ioctl(SIOC_BRIDGE.BRDELBR, mem.str('br0')), 0);
    assert.equal(errnoOf(() => ioctl(SIOC.GIFINDEX, ifreq('br0'))), Errno.ENODEV);
    // Indices are not reused.
    assert.equal(ioctl(SIOC_BRIDGE.BRADDBR, mem.str('br0')), 0);
    const again = ifreq('br0');
    ioctl(SIOC.GIFINDEX, again);
    assert.equal(mem.read(again + IFREQ.UNION, 4).readInt32LE(0), 4);
  });

  it('names are checked as dev_valid_name and dev_alloc_name do', () => {
    const { ioctl, mem } = sandbox();
    for (const bad of ['', '.', '..', 'a/b', 'a b', 'x%s', 'x%d%d']) assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.BRADDBR, mem.str(bad))), Errno.EINVAL, bad);
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.BRADDBR, mem.str('lo'))), Errno.EEXIST);
    // Names are cut at IFNAMSIZ - 1 bytes.
    assert.equal(ioctl(SIOC_BRIDGE.BRADDBR, mem.str('abcdefghijklmnopq')), 0);
    assert.equal(ioctl(SIOC_BRIDGE.BRDELBR, mem.str('abcdefghijklmno')), 0);
  });

  it('the deviceless calls: version, the bridges\' indices (at most as many as asked), add and delete', () => {
    const { ioctl, args, mem } = sandbox();
    assert.equal(ioctl(SIOC_BRIDGE.GIFBR, args(BRCTL.GET_VERSION)), 1);
    assert.equal(ioctl(SIOC_BRIDGE.SIFBR, args(BRCTL.ADD_BRIDGE, mem.str('a'))), 0);
    assert.equal(ioctl(SIOC_BRIDGE.SIFBR, args(BRCTL.ADD_BRIDGE, mem.str('b'))), 0);
    const out = mem.alloc(16, Buffer.alloc(16, 0xff));
    assert.equal(ioctl(SIOC_BRIDGE.GIFBR, args(BRCTL.GET_BRIDGES, out, 1)), 1);
    const slots = () => [0, 4, 8, 12].map((o) => mem.read(out + o, 4).readInt32LE(0));
    assert.deepEqual(slots(), [2, -1, -1, -1]);
    assert.equal(ioctl(SIOC_BRIDGE.GIFBR, args(BRCTL.GET_BRIDGES, out, 4)), 2);
    assert.deepEqual(slots(), [2, 3, -1, -1]);
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.GIFBR, args(BRCTL.GET_BRIDGES, out, 2048))), Errno.ENOMEM);
    assert.equal(ioctl(SIOC_BRIDGE.SIFBR, args(BRCTL.DEL_BRIDGE, mem.str('a'))), 0);
    assert.equal(ioctl(SIOC_BRIDGE.GIFBR, args(BRCTL.GET_BRIDGES, out, 4)), 1);
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.GIFBR, args(9))), Errno.EOPNOTSUPP);
  });

  it('ports: EINVAL for lo and unknown indices, ELOOP for a bridge, EOPNOTSUPP on a non-bridge; nothing is ever a port', () => {
    const { ioctl, ifreq, mem } = sandbox();
    ioctl(SIOC_BRIDGE.BRADDBR, mem.str('a'));
    ioctl(SIOC_BRIDGE.BRADDBR, mem.str('b'));
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.BRADDIF, ifreq('a', 1))), Errno.EINVAL);
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.BRADDIF, ifreq('a', 3))), Errno.ELOOP);
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.BRADDIF, ifreq('a', 99))), Errno.EINVAL);
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.BRDELIF, ifreq('a', 1))), Errno.EINVAL);
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.BRADDIF, ifreq('lo', 2))), Errno.EOPNOTSUPP);
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.BRADDIF, ifreq('zz', 2))), Errno.ENODEV);
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.BRDELBR, mem.str('lo'))), Errno.EPERM);
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.BRDELBR, mem.str('zz'))), Errno.ENXIO);
  });

  it('changes need CAP_NET_ADMIN; the version does not', () => {
    const { ioctl, ifreq, args, mem } = sandbox(new Credentials(1000, 1000));
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.BRADDBR, mem.str('a'))), Errno.EPERM);
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.BRDELBR, mem.str('lo'))), Errno.EPERM);
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.SIFBR, args(BRCTL.ADD_BRIDGE, mem.str('a')))), Errno.EPERM);
    assert.equal(errnoOf(() => ioctl(SIOC_BRIDGE.BRADDIF, ifreq('zz', 1))), Errno.EPERM);
    assert.equal(ioctl(SIOC_BRIDGE.GIFBR, args(BRCTL.GET_VERSION)), 1);
  });

  it('are the file\'s own ioctls on anything but a socket', () => {
    const { task, mem } = sandbox();
    const dir = callRow(rows, task, 'open', mem.str('/'), 0o200000, 0);
    assert.equal(errnoOf(() => callRow(rows, task, 'ioctl', dir, SIOC_BRIDGE.BRADDBR, mem.str('a'))), Errno.ENOTTY);
  });
});
