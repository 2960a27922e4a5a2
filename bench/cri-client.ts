/**
 * A typed CRI client for the benchmarks: requests and answers are the codec's
 * messages, carried over the raw gRPC client tsvisor uses for its upstream
 * (so the client costs the same in-process work for every runtime measured).
 */
import { decodeResponse, encodeRequest, rpc, type RpcName, type RpcRequest, type RpcResponse } from '../cri/proto/codec';
import { Upstream } from '../cri/server/upstream';

export class CriClient {
  private readonly raw: Upstream;

  /** `endpoint`: "unix:///path/to.sock". */
  constructor(readonly endpoint: string) {
    this.raw = new Upstream(endpoint);
  }

  async call<M extends RpcName>(m: M, req: RpcRequest<M>): Promise<RpcResponse<M>> {
    return decodeResponse(m, await this.raw.unary(rpc(m).path, encodeRequest(m, req)));
  }

  close(): void {
    this.raw.close();
  }
}
