// Plain HTTP answers written straight to a socket taken over by an 'upgrade'
// event, where node:http's ServerResponse is not available.
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

export type HeaderList = Array<[string, string]>;

/** Answer an upgrade request with an error and close the socket. */
export function rejectUpgrade(socket: Duplex, status: number, message: string, headers: HeaderList = []): void {
  const body = Buffer.from(`${message}\n`, 'utf8');
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${body.length}`,
    'Connection: close',
    ...headers.map(([k, v]) => `${k}: ${v}`),
  ];
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
}

/** Write the 101 response that hands the socket over to another protocol. */
export function switchProtocols(socket: Duplex, headers: HeaderList): void {
  const lines = ['HTTP/1.1 101 Switching Protocols', ...headers.map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** Comma-separated values over every instance of a request header, trimmed, empties dropped. */
export function headerTokens(value: string | string[] | undefined): string[] {
  const all = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return all.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}
