/**
 * Polls `check` until it gives an answer (anything but undefined or false) or
 * `timeoutMs` passes, for tests and benchmarks that wait on a real mesh. A
 * check that throws counts as "not yet" (a daemon still starting refuses its
 * socket); if the last try at the deadline threw, that error is rethrown, so
 * a test fails on what went wrong rather than on a bare `false`.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  options: { intervalMs?: number } = {},
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let failure: { error: unknown } | undefined;
    try {
      const answer = await check();
      if (answer !== undefined && answer !== false) return answer;
    } catch (error) {
      failure = { error };
    }
    if (Date.now() >= deadline) {
      if (failure) throw failure.error;
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/**
 * Like `eventually`, for a wait the test cannot go on without: the answer, or
 * an error naming `what` (and the check's last error, if it threw).
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let answer: T | undefined;
  try {
    answer = await eventually(check, timeoutMs, options);
  } catch (err) {
    throw new Error(`timed out waiting for ${what}: ${(err as Error).message}`);
  }
  if (answer === undefined) throw new Error(`timed out waiting for ${what} (${timeoutMs / 1000} s)`);
  return answer;
}
