/**
 * An error meant for the person at the keyboard: `message` says what went
 * wrong (naming the peer, prefix, file or field), `hint` says how to fix it.
 * The CLI prints exactly one line from it; daemons log it with its context.
 */
export class UserError extends Error {
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.hint = options.hint;
  }
}

/** One line for a terminal: the message, then the hint if there is one. */
export function oneLine(err: unknown): string {
  if (err instanceof UserError) {
    return err.hint ? `${err.message} (${err.hint})` : err.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
