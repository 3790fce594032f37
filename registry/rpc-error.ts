import { status } from '@grpc/grpc-js';
import { ClientRuntimeError, EtcdError, EtcdWatchStreamEnded, GRPCGenericError } from 'etcd3';

/** A refusal with the gRPC status it travels as; the message names the field and the problem. */
export class RpcError extends Error {
  constructor(readonly code: status, message: string) {
    super(message);
    this.name = 'RpcError';
  }
}

export const invalidArgument = (field: string, problem: string): RpcError =>
  new RpcError(status.INVALID_ARGUMENT, `${field}: ${problem}`);
export const notFound = (what: string, hint?: string): RpcError =>
  new RpcError(status.NOT_FOUND, `${what} does not exist${hint ? ` (${hint})` : ''}`);
export const alreadyExists = (what: string, hint?: string): RpcError =>
  new RpcError(status.ALREADY_EXISTS, `${what} already exists${hint ? ` (${hint})` : ''}`);
export const unauthenticated = (why: string): RpcError => new RpcError(status.UNAUTHENTICATED, why);
export const permissionDenied = (why: string): RpcError => new RpcError(status.PERMISSION_DENIED, why);
export const exhausted = (why: string): RpcError => new RpcError(status.RESOURCE_EXHAUSTED, why);

/**
 * Maps whatever a handler threw to the status the caller sees: our own
 * refusals as they are, etcd trouble as UNAVAILABLE (the caller may retry),
 * anything else as INTERNAL without leaking details.
 */
export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (
    err instanceof GRPCGenericError || err instanceof EtcdError || err instanceof ClientRuntimeError ||
    err instanceof EtcdWatchStreamEnded || isEtcdTransportError(err)
  ) {
    return new RpcError(status.UNAVAILABLE, `the registry's store (etcd) is unreachable: ${(err as Error).message}`);
  }
  return new RpcError(status.INTERNAL, 'internal registry error (see the registry log)');
}

function isEtcdTransportError(err: unknown): boolean {
  // etcd3's fault handling (cockatiel) throws these when it stops calling an unreachable etcd.
  const name = (err as { constructor?: { name?: string } } | null)?.constructor?.name ?? '';
  return ['BrokenCircuitError', 'TaskCancelledError', 'IsolatedCircuitError'].includes(name);
}
