import { expect } from 'vitest';

/** Asserts that a registry call fails with `code` and a message matching `message`. */
export async function expectRefusal(call: Promise<unknown>, code: number, message: RegExp): Promise<void> {
  const err = await call.then(
    () => null,
    (e: unknown) => e as { code?: number; message: string },
  );
  if (err === null) throw new Error(`expected a refusal with code ${code}, but the call succeeded`);
  expect({ code: err.code, message: err.message }).toEqual({ code, message: expect.stringMatching(message) });
}
