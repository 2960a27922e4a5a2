// The HTTP/1.1 Upgrade to SPDY/3.1 that client-go's SPDY round tripper asks
// for, with the X-Stream-Protocol-Version negotiation of k8s.io httpstream:
// the first protocol in the client's order that the server supports wins.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { headerTokens, rejectUpgrade, switchProtocols } from '../http-response';
import { SpdyConnection, SpdyConnectionOptions } from './connection';

export const SPDY_UPGRADE = 'SPDY/3.1';
export const PROTOCOL_VERSION_HEADER = 'X-Stream-Protocol-Version';
export const ACCEPTED_VERSIONS_HEADER = 'X-Accepted-Stream-Protocol-Versions';

export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return headerTokens(req.headers.upgrade).some((u) => u.toLowerCase() === SPDY_UPGRADE.toLowerCase());
}

/**
 * Negotiate a stream protocol, write 101 and start a SPDY session on the
 * socket. On failure the client gets an HTTP error and undefined is returned.
 */
export function upgradeToSpdy(
  req: IncomingMessage, socket: Duplex, head: Buffer, serverProtocols: readonly string[], opts?: SpdyConnectionOptions,
): { conn: SpdyConnection; protocol: string } | undefined {
  const connection = headerTokens(req.headers.connection).map((t) => t.toLowerCase());
  if (!connection.includes('upgrade') || !isSpdyUpgrade(req)) {
    rejectUpgrade(socket, 400, `unable to upgrade: the request needs "Connection: Upgrade" and "Upgrade: ${SPDY_UPGRADE}"`);
    return undefined;
  }
  const offered = headerTokens(req.headers[PROTOCOL_VERSION_HEADER.toLowerCase()]);
  if (offered.length === 0) {
    rejectUpgrade(socket, 400, `unable to upgrade: ${PROTOCOL_VERSION_HEADER} is required`);
    return undefined;
  }
  const protocol = offered.find((p) => serverProtocols.includes(p));
  if (protocol === undefined) {
    rejectUpgrade(
      socket, 403,
      `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${serverProtocols.join(' ')}]`,
      serverProtocols.map((p) => [ACCEPTED_VERSIONS_HEADER, p]),
    );
    return undefined;
  }
  switchProtocols(socket, [['Connection', 'Upgrade'], ['Upgrade', SPDY_UPGRADE], [PROTOCOL_VERSION_HEADER, protocol]]);
  const conn = new SpdyConnection(socket, opts);
  conn.feed(head);
  return { conn, protocol };
}
