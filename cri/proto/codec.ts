/**
 * Encoding and decoding of CRI v1 messages with protobufjs, from our own
 * api.proto. Decoded messages are plain objects in the shape of types.ts:
 * snake_case field names as in the .proto, every field present (defaults
 * filled in, unset messages null), 64-bit integers as decimal strings and
 * enums as numbers.
 */
import * as path from 'path';
import * as protobuf from 'protobufjs';
import type { Messages, Rpcs } from './types';

/**
 * The .proto is read from the source tree (dist/ sits beside cri/), so a
 * plain `tsc` build needs no copy step.
 */
export const PROTO_PATH = path.resolve(__dirname, '../../../cri/proto/api.proto');
export const PACKAGE = 'runtime.v1';

/** Parsed once per process; keepCase keeps the wire names (`pod_sandbox_id`). */
export const root = new protobuf.Root().loadSync(PROTO_PATH, { keepCase: true });
root.resolveAll();

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  enums: Number,
  defaults: true,
  arrays: true,
  objects: true,
};

export type MessageName = Extract<keyof Messages, string>;

const types = new Map<string, protobuf.Type>();

export function messageType(name: string): protobuf.Type {
  let type = types.get(name);
  if (!type) {
    type = root.lookupType(`${PACKAGE}.${name}`);
    types.set(name, type);
  }
  return type;
}

function decodeAs(name: string, bytes: Uint8Array): unknown {
  const type = messageType(name);
  return type.toObject(type.decode(bytes), TO_OBJECT);
}

function encodeAs(name: string, msg: unknown): Buffer {
  const type = messageType(name);
  const bytes = type.encode(type.fromObject(msg as Record<string, unknown>)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes wire bytes; malformed input throws. */
export function decode<K extends MessageName>(name: K, bytes: Uint8Array): Messages[K] {
  return decodeAs(name, bytes) as Messages[K];
}

export function encode<K extends MessageName>(name: K, msg: Messages[K]): Buffer {
  return encodeAs(name, msg);
}

/** A message with every field at its default, to spread real values over. */
export function defaults<K extends MessageName>(name: K): Messages[K] {
  return decode(name, new Uint8Array(0));
}

export type ServiceName = 'RuntimeService' | 'ImageService';

export interface MethodInfo {
  readonly service: ServiceName;
  /** RPC name as in the .proto, e.g. `RunPodSandbox`. */
  readonly name: string;
  /** gRPC path, e.g. `/runtime.v1.RuntimeService/RunPodSandbox`. */
  readonly path: string;
  readonly requestType: MessageName;
  readonly responseType: MessageName;
  readonly responseStream: boolean;
}

export type RpcName = Extract<keyof Rpcs, string>;
export type RpcRequest<M extends RpcName> = Rpcs[M]['request'];
export type RpcResponse<M extends RpcName> = Rpcs[M]['response'];

let rpcIndex: Map<string, MethodInfo> | undefined;

/** The RPC named `name` in either service. */
export function rpc(name: RpcName): MethodInfo {
  rpcIndex ??= new Map([...serviceMethods('RuntimeService'), ...serviceMethods('ImageService')].map((m) => [m.name, m]));
  const info = rpcIndex.get(name);
  if (!info) throw new Error(`no RPC ${name} in ${PROTO_PATH}`);
  return info;
}

export const decodeRequest = <M extends RpcName>(m: M, bytes: Uint8Array) => decodeAs(rpc(m).requestType, bytes) as RpcRequest<M>;
export const encodeRequest = <M extends RpcName>(m: M, req: RpcRequest<M>): Buffer => encodeAs(rpc(m).requestType, req);
export const decodeResponse = <M extends RpcName>(m: M, bytes: Uint8Array) => decodeAs(rpc(m).responseType, bytes) as RpcResponse<M>;
export const encodeResponse = <M extends RpcName>(m: M, res: RpcResponse<M>): Buffer => encodeAs(rpc(m).responseType, res);

/** Every RPC of a service, in .proto order. */
export function serviceMethods(service: ServiceName): MethodInfo[] {
  const svc = root.lookupService(`${PACKAGE}.${service}`);
  return svc.methodsArray.map((m) => ({
    service,
    name: m.name,
    path: `/${PACKAGE}.${service}/${m.name}`,
    requestType: m.requestType as MessageName,
    responseType: m.responseType as MessageName,
    responseStream: m.responseStream === true,
  }));
}
