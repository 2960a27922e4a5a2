/**
 * Ancillary data of AF_UNIX messages (cmsg(3), unix(7)): parsing what
 * sendmsg(2) passes and laying out what recvmsg(2) returns, with Linux's
 * truncation rules (put_cmsg and scm_detach_fds).
 */
import { CMSGHDR, cmsgLen, cmsgSpace, MSG, SCM_RIGHTS, SOL_SOCKET } from '../../abi/linux/scm';
import { SCM_CREDENTIALS, SCM_MAX_FD, UCRED_SIZE } from '../../abi/linux/socket';
import { fail } from '../../errors/linuxerr';

/** struct ucred: what SO_PEERCRED and SCM_CREDENTIALS carry (virtual pid, uid, gid). */
export interface Ucred {
  pid: number;
  uid: number;
  gid: number;
}

export function encodeUcred(c: Ucred): Buffer {
  const b = Buffer.alloc(UCRED_SIZE);
  b.writeInt32LE(c.pid, 0);
  b.writeUInt32LE(c.uid >>> 0, 4);
  b.writeUInt32LE(c.gid >>> 0, 8);
  return b;
}

/** What a sendmsg(2) control buffer asks for. */
export interface SendControl {
  fds: number[];
  creds?: Ucred;
}

/**
 * Walks the cmsghdrs like __scm_send: EINVAL for a header whose length
 * overruns the buffer, SOL_SOCKET messages other than SCM_RIGHTS and
 * SCM_CREDENTIALS, or more than SCM_MAX_FD descriptors; other levels are
 * skipped.
 */
export function parseSendControl(b: Buffer): SendControl {
  const out: SendControl = { fds: [] };
  let off = 0;
  while (off + CMSGHDR.DATA <= b.length) {
    const len = Number(b.readBigUInt64LE(off + CMSGHDR.LEN));
    if (len < CMSGHDR.DATA || len > b.length - off) fail('EINVAL', `cmsg_len ${len}`);
    const level = b.readInt32LE(off + CMSGHDR.LEVEL);
    const type = b.readInt32LE(off + CMSGHDR.TYPE);
    const data = b.subarray(off + CMSGHDR.DATA, off + len);
    if (level === SOL_SOCKET) {
      if (type === SCM_RIGHTS) {
        for (let i = 0; i + 4 <= data.length; i += 4) out.fds.push(data.readInt32LE(i));
        if (out.fds.length > SCM_MAX_FD) fail('EINVAL', `${out.fds.length} fds`);
      } else if (type === SCM_CREDENTIALS) {
        if (data.length !== UCRED_SIZE) fail('EINVAL', 'SCM_CREDENTIALS length');
        out.creds = { pid: data.readInt32LE(0), uid: data.readUInt32LE(4), gid: data.readUInt32LE(8) };
      } else {
        fail('EINVAL', `SOL_SOCKET cmsg type ${type}`);
      }
    }
    off += cmsgSpace(len - CMSGHDR.DATA);
  }
  return out;
}

/** Builds a recvmsg(2) control buffer of at most `capacity` bytes. */
export class ControlWriter {
  private readonly parts: Buffer[] = [];
  private used = 0;
  /** MSG_CTRUNC when something did not fit. */
  flags = 0;

  constructor(private readonly capacity: number) {}

  private get room(): number {
    return this.capacity - this.used;
  }

  /** put_cmsg: a message cut to the room left (MSG_CTRUNC), nothing if not even the header fits. */
  put(level: number, type: number, data: Buffer): void {
    if (this.room < CMSGHDR.DATA) {
      this.flags |= MSG.CTRUNC;
      return;
    }
    let len = cmsgLen(data.length);
    if (len > this.room) {
      this.flags |= MSG.CTRUNC;
      len = this.room;
    }
    const m = Buffer.alloc(Math.min(cmsgSpace(data.length), this.room));
    m.writeBigUInt64LE(BigInt(len), CMSGHDR.LEN);
    m.writeInt32LE(level, CMSGHDR.LEVEL);
    m.writeInt32LE(type, CMSGHDR.TYPE);
    data.copy(m, CMSGHDR.DATA, 0, len - CMSGHDR.DATA);
    this.parts.push(m);
    this.used += m.length;
  }

  /** How many descriptors an SCM_RIGHTS message can still hold (scm_detach_fds). */
  fdRoom(): number {
    return this.room < CMSGHDR.DATA ? 0 : Math.floor((this.room - CMSGHDR.DATA) / 4);
  }

  /** SCM_RIGHTS with the installed `fds`; `dropped` of the sender's were left out (MSG_CTRUNC). */
  putRights(fds: number[], dropped: number): void {
    if (dropped > 0) this.flags |= MSG.CTRUNC;
    if (fds.length === 0) return;
    const data = Buffer.alloc(fds.length * 4);
    fds.forEach((fd, i) => data.writeInt32LE(fd, i * 4));
    this.put(SOL_SOCKET, SCM_RIGHTS, data);
  }

  /** The bytes to copy out; their length is the msg_controllen returned. */
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}
