/**
 * /sys, read-only (as container runtimes mount it for unprivileged
 * containers), generated from the sandbox kernel so that no host device,
 * interface or CPU detail shows through:
 * - class/net/NAME → ../../devices/virtual/net/NAME for each interface of
 *   the sandbox (ifaces.ts), with the attributes programs read (address,
 *   flags, ifindex, mtu, operstate, carrier, type, …) and, for bridges,
 *   bridge/ (id and STP state of a bridge without ports) and brif/;
 * - devices/system/cpu: online, possible, present (glibc's CPU count) and
 *   a directory per CPU;
 * - fs/cgroup, where the cgroup2 filesystem is mounted;
 * - Linux's other top-level directories, empty.
 * Not supported: every other attribute, uevents, and writes (EROFS).
 */
import { FS_MAGIC } from '../../abi/linux/fs';
import { IFF } from '../../abi/linux/netdevice';
import { fail } from '../../errors/linuxerr';
import type { Kernel } from '../../kernel/kernel';
import { formatMac } from '../../net/addr';
import { type ProcChild, ProcDir, ProcFile, ProcFs, ProcSymlink, ROOT_OWNER } from '../proc/nodes';
import { broadcastMac, isRunning, kernelInterfaces, operState, type SandboxInterface, TXQLEN } from '../socket/ifaces';

type Entries = [string, ProcChild][];

/** Top-level directories Linux has that the sandbox leaves empty. */
const EMPTY_TOP = ['block', 'bus', 'dev', 'firmware', 'kernel', 'module', 'power'];

/** Builds sysfs for `kernel` (its interfaces and kernel.cpus CPUs), returning its root directory. */
export function buildSysfs(dev: number, kernel: Kernel): ProcDir {
  const cpus = kernel.cpus;
  const fs = new ProcFs(dev, { type: 'sysfs', magic: FS_MAGIC.SYSFS, readOnly: true });
  const file = (gen: () => string): ProcChild => (key) => new ProcFile(fs, key, ROOT_OWNER, gen);
  const text = (s: string): ProcChild => file(() => `${s}\n`);
  const dir = (entries: () => Entries): ProcChild => (key) => new ProcDir(fs, key, ROOT_OWNER, () => new Map(entries()));
  const link = (target: string): ProcChild => (key) => new ProcSymlink(fs, key, ROOT_OWNER, () => target);

  const live = (name: string): SandboxInterface =>
    kernelInterfaces(kernel).find((i) => i.name === name) ?? fail('ENODEV', `interface ${name} is gone`);

  const attrs = (name: string): Entries => {
    const attr = (gen: (i: SandboxInterface) => string): ProcChild => file(() => `${gen(live(name))}\n`);
    const entries: Entries = [
      ['addr_len', text('6')],
      ['address', attr((i) => formatMac(i.mac))],
      ['broadcast', attr((i) => formatMac(broadcastMac(i)))],
      // Linux answers EINVAL for a down interface's carrier.
      ['carrier', attr((i) => (isRunning(i) ? '1' : fail('EINVAL', `${name} is down`)))],
      ['dev_id', text('0x0')],
      // dev->flags: IFF_RUNNING is derived state, shown by SIOCGIFFLAGS only.
      ['flags', attr((i) => `0x${(i.flags & ~IFF.RUNNING).toString(16)}`)],
      ['ifindex', attr((i) => String(i.index))],
      ['iflink', attr((i) => String(i.index))],
      ['mtu', attr((i) => String(i.mtu))],
      ['operstate', attr(operState)],
      ['tx_queue_len', text(String(TXQLEN))],
      ['type', attr((i) => String(i.hwType))],
    ];
    if (live(name).bridge) {
      // A bridge without ports: priority 0x8000 and a zero address; STP off.
      entries.push(['bridge', dir(() => [['bridge_id', text('8000.000000000000')], ['stp_state', text('0')]])], ['brif', dir(() => [])]);
    }
    return entries;
  };
  const names = () => kernelInterfaces(kernel).map((i) => i.name);
  const classNet = (): Entries => names().map((n): [string, ProcChild] => [n, link(`../../devices/virtual/net/${n}`)]);
  const virtualNet = (): Entries => names().map((n): [string, ProcChild] => [n, dir(() => attrs(n))]);

  const range = cpus > 1 ? `0-${cpus - 1}` : '0';
  const cpu = (): Entries => [
    ...Array.from({ length: cpus }, (_, k): [string, ProcChild] => [`cpu${k}`, dir(() => [])]),
    ['online', text(range)],
    ['possible', text(range)],
    ['present', text(range)],
  ];

  const top: Entries = [
    ...EMPTY_TOP.map((n): [string, ProcChild] => [n, dir(() => [])]),
    ['class', dir(() => [['net', dir(classNet)]])],
    // The mount point of the cgroup hierarchy (fsimpl/cgroup).
    ['fs', dir(() => [['cgroup', dir(() => [])]])],
    ['devices', dir(() => [['system', dir(() => [['cpu', dir(cpu)]])], ['virtual', dir(() => [['net', dir(virtualNet)]])]])],
  ];
  return new ProcDir(fs, '', ROOT_OWNER, () => new Map(top));
}
