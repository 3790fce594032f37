import { status } from '@grpc/grpc-js';
import { UserError } from '../../../common/errors.js';

/** A refusal the agent API answers with a gRPC status code other than INTERNAL; `message` names the field and the fix. */
export class ApiError extends UserError {
  constructor(readonly code: status, message: string, options: { hint?: string } = {}) {
    super(message, options);
    this.name = 'ApiError';
  }
}

export function invalidArgument(message: string, hint?: string): ApiError {
  return new ApiError(status.INVALID_ARGUMENT, message, hint === undefined ? {} : { hint });
}

export function resourceExhausted(message: string, hint?: string): ApiError {
  return new ApiError(status.RESOURCE_EXHAUSTED, message, hint === undefined ? {} : { hint });
}
