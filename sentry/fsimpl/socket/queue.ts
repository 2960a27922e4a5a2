/** A socket's receive queue: messages with their ancillary data, in arrival order. */
import type { FileDescription } from '../../vfs/file';
import type { Ucred } from './control';

export interface Message {
  /** Unread bytes (a stream reader trims the head message as it consumes). */
  data: Buffer;
  /** SCM_RIGHTS descriptions; the queue holds one reference on each until they are taken. */
  rights: FileDescription[];
  creds: Ucred;
  /** The sender's address when it sent (recvfrom's source); undefined if it was unbound. */
  from: Buffer | undefined;
  /** Called with the byte count each time bytes leave the queue (the sender's send-buffer accounting). */
  onConsume(bytes: number): void;
}

export class MessageQueue {
  private readonly msgs: Message[] = [];
  /** Unread bytes over all messages. */
  bytes = 0;

  get length(): number {
    return this.msgs.length;
  }

  get empty(): boolean {
    return this.msgs.length === 0;
  }

  /** The i-th unread message. */
  at(i: number): Message | undefined {
    return this.msgs[i];
  }

  push(m: Message): void {
    this.msgs.push(m);
    this.bytes += m.data.length;
  }

  /** Consumes `n` bytes of the head message, dropping it when it is used up. */
  consumeHead(n: number): void {
    const m = this.msgs[0];
    m.data = m.data.subarray(n);
    this.bytes -= n;
    if (m.data.length === 0) this.msgs.shift();
    m.onConsume(n);
  }

  /** Drops the head message whatever is left of it (datagram reads discard the excess). */
  dropHead(): void {
    const m = this.msgs[0];
    this.consumeHead(m.data.length);
    if (this.msgs[0] === m) this.msgs.shift();
    for (const f of m.rights) f.decRef();
    m.rights = [];
  }

  /** Drops everything (the socket is closed), releasing the descriptions in flight. */
  clear(): void {
    while (this.msgs.length > 0) this.dropHead();
  }
}
