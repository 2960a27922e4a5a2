/**
 * The CRI gRPC server: RuntimeService and ImageService on a unix socket.
 * Messages cross grpc-js as raw bytes (identity serializers) so forwarded
 * calls reach the upstream byte for byte; routes.ts decodes what it needs.
 * Every handler runs inside one wrapper that logs the call and turns any
 * failure into a gRPC status, so no handler error can take the server down.
 */
import * as fs from 'fs';
import * as grpc from '@grpc/grpc-js';
import * as net from 'net';
import * as path from 'path';
import type { CriConfig } from '../config';
import { decodeRequest, encodeResponse, rpc, serviceMethods, type MethodInfo, type ServiceName } from '../proto/codec';
import type { LocalImages, LocalRuntime } from './backend';
import { CriError, invalidArgument, toStatus } from './errors';
import { createLogger, type Logger } from './log';
import { unaryHandlers, type UnaryHandler } from './routes';
import { MAX_MESSAGE_BYTES, Upstream, upstreamError, type UpstreamApi } from './upstream';

export interface CriServerDeps {
  readonly runtime: LocalRuntime;
  readonly images: LocalImages;
  /** Defaults to a logger at config.logLevel on stderr. */
  readonly log?: Logger;
  /** Defaults to a client of config.upstream (none when it is null). */
  readonly upstream?: UpstreamApi | null;
}

export interface CriServer {
  /** `unix://` + the socket path. */
  readonly address: string;
  /** Stops accepting calls, lets running calls finish (at most `graceMs`), removes the socket. */
  close(graceMs?: number): Promise<void>;
}

const identity = (b: Buffer): Buffer => b;

function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Makes the socket path usable: creates its directory (0700) and removes a
 * stale socket file, but refuses when a server still answers on it or when
 * the path is something other than a socket.
 */
export async function prepareSocket(socketPath: string): Promise<void> {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
  const live = await new Promise<boolean>((resolve) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (live) throw new Error(`another server is listening on ${socketPath}`);
  fs.unlinkSync(socketPath);
}

/** Runs `handler`, logging its outcome; the result is a response or a status. */
async function instrumented<T>(log: Logger, method: MethodInfo, run: () => Promise<T>): Promise<{ ok: T } | { error: grpc.StatusObject }> {
  const start = process.hrtime.bigint();
  const ms = () => (Number(process.hrtime.bigint() - start) / 1e6).toFixed(1);
  try {
    const ok = await run();
    log.debug(`${method.name} OK ${ms()}ms`);
    return { ok };
  } catch (e) {
    const { code, details } = toStatus(e);
    const name = grpc.status[code];
    if (e instanceof CriError) log.info(`${method.name} ${name} ${ms()}ms: ${details}`);
    else log.error(`${method.name} ${name} ${ms()}ms: ${e instanceof Error ? (e.stack ?? e.message) : details}`);
    return { error: { code, details, metadata: new grpc.Metadata() } };
  }
}

function unaryImpl(log: Logger, method: MethodInfo, handler: UnaryHandler): grpc.handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    void instrumented(log, method, () => handler(call.request, { deadline: call.getDeadline() })).then((r) =>
      'ok' in r ? callback(null, r.ok) : callback(r.error),
    );
  };
}

/**
 * GetContainerEvents: local events and the upstream's stream, interleaved,
 * until the client goes away. An upstream stream failure ends the call with
 * the upstream's status (kubelet then falls back to relisting).
 */
function eventsImpl(log: Logger, runtime: LocalRuntime, upstream: UpstreamApi | null): grpc.handleServerStreamingCall<Buffer, Buffer> {
  const method = rpc('GetContainerEvents');
  return (call) => {
    try {
      decodeRequest('GetContainerEvents', call.request);
    } catch (e) {
      call.emit('error', toGrpc(invalidArgument(`malformed GetEventsRequest: ${(e as Error).message}`)));
      return;
    }
    log.debug(`${method.name} stream opened`);
    const unsubscribe = runtime.subscribeContainerEvents((event) => {
      call.write(encodeResponse('GetContainerEvents', event));
    });
    const remote = upstream?.stream(method.path, call.request);
    let done = false;
    const finish = (error?: CriError) => {
      if (done) return;
      done = true;
      unsubscribe();
      remote?.cancel();
      if (error) {
        log.info(`${method.name} stream ended: ${error.message}`);
        call.emit('error', toGrpc(error));
      } else {
        log.debug(`${method.name} stream closed by the client`);
      }
    };
    remote?.on('data', (chunk: Buffer) => call.write(chunk));
    // After our own cancel(), finish() has already run and ignores the CANCELLED error.
    remote?.on('error', (e: grpc.ServiceError) => finish(upstreamError(upstream!.address, e)));
    remote?.on('end', () => finish(new CriError(grpc.status.UNAVAILABLE, `upstream runtime ${upstream!.address} ended its event stream`)));
    call.on('cancelled', () => finish());
    call.on('close', () => finish());
  };
}

function toGrpc(e: CriError): Partial<grpc.StatusObject> {
  return { code: e.code, details: e.message };
}

function serviceDefinition(service: ServiceName): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  for (const m of serviceMethods(service)) {
    def[m.name] = {
      path: m.path,
      requestStream: false,
      responseStream: m.responseStream,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: m.name,
    };
  }
  return def;
}

/** Starts serving on config.socket; resolves once the socket accepts calls. */
export async function startCriServer(config: CriConfig, deps: CriServerDeps): Promise<CriServer> {
  const log = deps.log ?? createLogger(config.logLevel);
  const upstream = deps.upstream !== undefined ? deps.upstream : config.upstream ? new Upstream(config.upstream) : null;
  const handlers = unaryHandlers({ runtime: deps.runtime, images: deps.images, upstream, version: packageVersion() });

  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  for (const service of ['RuntimeService', 'ImageService'] as const) {
    const impl: grpc.UntypedServiceImplementation = {};
    for (const m of serviceMethods(service)) {
      impl[m.name] =
        m.name === 'GetContainerEvents'
          ? eventsImpl(log, deps.runtime, upstream)
          : unaryImpl(log, m, handlers[m.name as keyof typeof handlers]);
    }
    server.addService(serviceDefinition(service), impl);
  }

  const address = `unix://${config.socket}`;
  try {
    await prepareSocket(config.socket);
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
  } catch (e) {
    server.forceShutdown();
    upstream?.close();
    throw e;
  }
  // kubelet runs as root; nobody else gets to drive the runtime.
  fs.chmodSync(config.socket, 0o600);
  const ino = fs.statSync(config.socket).ino;
  log.info(`serving CRI v1 on ${address} (handlers: ${deps.runtime.handlers.join(', ')}; upstream: ${upstream?.address ?? 'none'})`);

  let closing: Promise<void> | undefined;
  return {
    address,
    close(graceMs = 5000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          upstream?.close();
          // Remove the socket only if it is still ours (not a successor's).
          try {
            if (fs.statSync(config.socket).ino === ino) fs.unlinkSync(config.socket);
          } catch {
            // already gone
          }
          log.info('CRI server stopped');
          resolve();
        });
      });
      return closing;
    },
  };
}
