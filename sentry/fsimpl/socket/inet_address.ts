/**
 * struct sockaddr_in as bind(2), connect(2) and sendto(2) take it and
 * getsockname(2)/accept(2)/recvfrom(2) return it: family (host order),
 * port and address (network order), eight bytes of zero.
 */
import { SOCKADDR_IN } from '../../abi/linux/inet';
import { AF } from '../../abi/linux/socket';
import { fail } from '../../errors/linuxerr';
import type { InetAddr } from '../../net/addr';

/**
 * An AF_INET address: EINVAL when shorter than sockaddr_in, EAFNOSUPPORT
 * for another family. AF_UNSPEC with INADDR_ANY passes as AF_INET, the
 * compatibility rule of Linux's inet_bind (and what sendto accepts).
 */
export function decodeInetAddr(b: Buffer): InetAddr {
  if (b.length < SOCKADDR_IN.SIZE) fail('EINVAL', `sockaddr_in length ${b.length}`);
  const family = b.readUInt16LE(SOCKADDR_IN.FAMILY);
  const addr = b.readUInt32BE(SOCKADDR_IN.ADDR);
  if (family !== AF.INET && !(family === AF.UNSPEC && addr === 0)) fail('EAFNOSUPPORT', `sin_family ${family}`);
  return { addr, port: b.readUInt16BE(SOCKADDR_IN.PORT) };
}

export function encodeInetAddr(a: InetAddr): Buffer {
  const b = Buffer.alloc(SOCKADDR_IN.SIZE);
  b.writeUInt16LE(AF.INET, SOCKADDR_IN.FAMILY);
  b.writeUInt16BE(a.port, SOCKADDR_IN.PORT);
  b.writeUInt32BE(a.addr >>> 0, SOCKADDR_IN.ADDR);
  return b;
}
