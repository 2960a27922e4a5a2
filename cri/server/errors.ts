/**
 * CriError carries the gRPC status a handler wants the client to see. Any
 * other thrown Error is a bug or a host failure and becomes INTERNAL (the
 * handler wrapper logs it).
 */
import { status } from '@grpc/grpc-js';

export class CriError extends Error {
  override name = 'CriError';
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/** `what` names the object, e.g. `pod sandbox "3f2a"`. */
export const notFound = (what: string): CriError => new CriError(status.NOT_FOUND, `${what} not found`);
export const invalidArgument = (msg: string): CriError => new CriError(status.INVALID_ARGUMENT, msg);
export const alreadyExists = (msg: string): CriError => new CriError(status.ALREADY_EXISTS, msg);
export const failedPrecondition = (msg: string): CriError => new CriError(status.FAILED_PRECONDITION, msg);
export const unimplemented = (msg: string): CriError => new CriError(status.UNIMPLEMENTED, msg);
export const unavailable = (msg: string): CriError => new CriError(status.UNAVAILABLE, msg);

/** The status and message a thrown value is reported with. */
export function toStatus(e: unknown): { code: status; details: string } {
  if (e instanceof CriError) return { code: e.code, details: e.message };
  return { code: status.INTERNAL, details: e instanceof Error ? e.message : String(e) };
}
