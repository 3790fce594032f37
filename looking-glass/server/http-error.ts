/** An answer other than 200 that the client should see as is: status, one-sentence message, where, and how to fix it. */
export class HttpError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  readonly hint: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, message: string, options: { field?: string; hint?: string; retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.field = options.field;
    this.hint = options.hint;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
