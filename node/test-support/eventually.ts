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
