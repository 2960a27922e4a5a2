/**
 * A real Linux network for interop tests: two network namespaces joined by
 * a veth pair. The Linux side (`peer`) has an address and runs real
 * programs; on the other side a packet socket (python3, AF_PACKET) relays
 * raw frames between the veth and a Stack in this process over pipes, so
 * the stack answers for its address as it will in a pod. The sandbox-side
 * namespace has no address, so its kernel never answers in the stack's
 * place. Offloads are off on both ends so frames carry real checksums and
 * stay within the MTU.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { LinkEndpoint } from '../nic';
import { parseMac } from '../addr';
import { NetLab, runSync } from '../../../e2e/network/netns';

const PY = '/usr/bin/python3';

/** Relays frames between an interface and stdin/stdout as [u16 length][frame], skipping its own sends. */
const BRIDGE = `
import socket, struct, sys, threading
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
s.bind((sys.argv[1], 0))
out = sys.stdout.buffer
out.write(bytes(2))  # ready: an empty frame
out.flush()
def rx():
    while True:
        data, addr = s.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        out.write(struct.pack('>H', len(data)) + data)
        out.flush()
threading.Thread(target=rx, daemon=True).start()
inp = sys.stdin.buffer
while True:
    h = inp.read(2)
    if len(h) < 2:
        break
    f = inp.read(struct.unpack('>H', h)[0])
    s.send(f)
`;

export interface LinuxPeer {
  /** Namespace of the Linux side, for `ip netns exec`. */
  readonly peerNs: string;
  readonly peerAddr: string;
  readonly stackAddr: string;
  readonly link: LinkEndpoint;
  /** Sets where received frames go. */
  onFrame(fn: (frame: Buffer) => void): void;
  /** Starts `argv` in the peer namespace (never synchronously: the stack lives on this event loop). */
  spawn(argv: string[]): ChildProcess;
  close(): Promise<void>;
}

/** Sets up the namespaces and waits until the packet socket is bound. */
export async function startLinuxPeer(): Promise<LinuxPeer> {
  if (!existsSync(PY)) throw new Error(`the Linux interop tests need ${PY} (Debian package python3)`);
  const lab = new NetLab();
  try {
    const sandboxNs = lab.namespace('s');
    const peerNs = lab.namespace('p');
    const peerAddr = '10.16.0.2';
    const stackAddr = '10.16.0.1';
    lab.veth({ ns: sandboxNs, dev: 'vs' }, { ns: peerNs, dev: 'vp', cidr: `${peerAddr}/24` }, true);
    const mac = parseMac(runSync(sandboxNs, ['cat', '/sys/class/net/vs/address']).trim());
    const bridge = lab.spawn(sandboxNs, [PY, '-c', BRIDGE, 'vs']);
    bridge.stderr?.pipe(process.stderr);
    let deliver: (f: Buffer) => void = () => {};
    let ready: () => void = () => {};
    const bound = new Promise<void>((res) => (ready = res));
    let pending: Buffer = Buffer.alloc(0);
    bridge.stdout?.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 2) {
        const n = pending.readUInt16BE(0);
        if (pending.length < 2 + n) break;
        if (n === 0) ready();
        else deliver(Buffer.from(pending.subarray(2, 2 + n)));
        pending = pending.subarray(2 + n);
      }
    });
    const exited = new Promise<never>((_, rej) => bridge.on('exit', (code) => rej(new Error(`packet bridge exited (${code})`))));
    await Promise.race([bound, exited]);
    const link: LinkEndpoint = {
      mtu: Number(runSync(sandboxNs, ['cat', '/sys/class/net/vs/mtu']).trim()),
      mac,
      send(frame) {
        const h = Buffer.allocUnsafe(2);
        h.writeUInt16BE(frame.length, 0);
        bridge.stdin?.write(Buffer.concat([h, frame]));
      },
    };
    return {
      peerNs,
      peerAddr,
      stackAddr,
      link,
      onFrame: (fn) => (deliver = fn),
      spawn: (argv) => {
        const c = lab.spawn(peerNs, argv);
        c.stdin?.end();
        return c;
      },
      close: () => lab.destroy(),
    };
  } catch (e) {
    await lab.destroy();
    throw e;
  }
}
