/**
 * The client of the upstream runtime (e.g. containerd's CRI socket). Calls
 * carry the original request bytes and return the upstream's response bytes,
 * so fields tsvisor does not know survive the round trip unchanged.
 */
import * as grpc from '@grpc/grpc-js';
import { CriError } from './errors';

/** What routing needs from the upstream; tests substitute a recorder. */
export interface UpstreamApi {
  readonly address: string;
  /** One unary call by gRPC path; a failure is a CriError with the upstream's status. */
  unary(path: string, request: Buffer, deadline?: grpc.Deadline): Promise<Buffer>;
  /** A server-streaming call by gRPC path. */
  stream(path: string, request: Buffer): grpc.ClientReadableStream<Buffer>;
  close(): void;
}

/** Large enough for ListContainers on a busy node; matches the server's limit. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

const identity = (b: Buffer): Buffer => b;

/** The upstream's error, with its address added when the upstream itself is unreachable. */
export function upstreamError(address: string, e: grpc.ServiceError): CriError {
  const code = e.code ?? grpc.status.UNKNOWN;
  if (code === grpc.status.UNAVAILABLE) return new CriError(code, `upstream runtime ${address} unavailable: ${e.details}`);
  return new CriError(code, e.details || e.message);
}

export class Upstream implements UpstreamApi {
  private readonly client: grpc.Client;

  constructor(readonly address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
  }

  unary(path: string, request: Buffer, deadline?: grpc.Deadline): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const options: grpc.CallOptions = deadline !== undefined && deadline !== Infinity ? { deadline } : {};
      this.client.makeUnaryRequest(path, identity, identity, request, new grpc.Metadata(), options, (err, res) => {
        if (err) reject(upstreamError(this.address, err));
        else resolve(res ?? Buffer.alloc(0));
      });
    });
  }

  stream(path: string, request: Buffer): grpc.ClientReadableStream<Buffer> {
    return this.client.makeServerStreamRequest(path, identity, identity, request, new grpc.Metadata());
  }

  close(): void {
    this.client.close();
  }
}
