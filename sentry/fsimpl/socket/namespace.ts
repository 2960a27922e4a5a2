/**
 * The sandbox's AF_UNIX names: the abstract namespace, the sockets bound
 * to filesystem nodes (keyed by the node's device and inode, so any path
 * reaching the node finds the socket), autobind names and socket inode
 * numbers. One per kernel: the sandbox is one network namespace.
 */
import { fail } from '../../errors/linuxerr';
import type { Kernel } from '../../kernel/kernel';
import type { Stat } from '../../vfs/file';
import { autobindName } from './address';
import type { UnixSocket } from './unix';

export class UnixNamespace {
  /** st_dev of every socket (Linux's sockfs). */
  readonly dev: number;
  private readonly names = new Map<string, UnixSocket>();
  private nextIno = 1;
  private nextAuto = 0;

  constructor(dev: number) {
    this.dev = dev;
  }

  allocIno(): number {
    return this.nextIno++;
  }

  private static abstractKey(name: Buffer): string {
    return `@${name.toString('latin1')}`;
  }

  private static nodeKey(st: Stat): string {
    return `/${st.dev}:${st.ino}`;
  }

  private register(s: UnixSocket, key: string, name: Buffer): void {
    if (this.names.has(key)) fail('EADDRINUSE', key);
    this.names.set(key, s);
    s.bindKey = key;
    s.name = name;
  }

  bindAbstract(s: UnixSocket, name: Buffer): void {
    this.register(s, UnixNamespace.abstractKey(name), name);
  }

  /** Records `s` as the socket behind the node just created for it. */
  bindNode(s: UnixSocket, node: Stat, name: Buffer): void {
    this.register(s, UnixNamespace.nodeKey(node), name);
  }

  /** Binds `s` to the next free autobind name (bind with only sun_family, or SO_PASSCRED). */
  autobind(s: UnixSocket): void {
    for (let tries = 0; tries <= 0xfffff; tries++) {
      const name = autobindName(this.nextAuto++);
      if (!this.names.has(UnixNamespace.abstractKey(name))) return this.bindAbstract(s, name);
    }
    fail('ENOSPC', 'autobind names exhausted');
  }

  lookupAbstract(name: Buffer): UnixSocket | undefined {
    return this.names.get(UnixNamespace.abstractKey(name));
  }

  lookupNode(node: Stat): UnixSocket | undefined {
    return this.names.get(UnixNamespace.nodeKey(node));
  }

  /** Drops `s`'s name at close (its address stays readable through getsockname until then). */
  unbind(s: UnixSocket): void {
    if (s.bindKey !== undefined && this.names.get(s.bindKey) === s) this.names.delete(s.bindKey);
  }
}

const namespaces = new WeakMap<Kernel, UnixNamespace>();

/** The kernel's AF_UNIX namespace, made on first use. */
export function unixNamespace(k: Kernel): UnixNamespace {
  let ns = namespaces.get(k);
  if (!ns) {
    ns = new UnixNamespace(k.vfs.allocDev());
    namespaces.set(k, ns);
  }
  return ns;
}
