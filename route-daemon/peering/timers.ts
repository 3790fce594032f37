/**
 * The BGP timers' arithmetic (RFC 4271 §4.2, §10). The session runs the real
 * clocks; these functions only say how long each one is.
 */

/** RFC 4271 §8.2.2: the hold timer while waiting for the peer's OPEN ("a large value"). */
export const OPEN_WAIT_HOLD_SECONDS = 240;

/** Both ends use the smaller of the two proposals; 0 from either side turns the timers off. */
export function negotiateHoldTime(local: number, remote: number): number {
  return Math.min(local, remote);
}

/**
 * The keepalive interval for a negotiated hold time: one third of it (the
 * RFC's suggestion), never longer than a configured keepalive that is shorter,
 * and 0 (no keepalives) when the hold time is 0.
 */
export function keepaliveInterval(holdSeconds: number, configuredKeepalive?: number): number {
  if (holdSeconds === 0) return 0;
  const third = Math.max(1, Math.floor(holdSeconds / 3));
  return configuredKeepalive !== undefined && configuredKeepalive > 0 ? Math.min(third, configuredKeepalive) : third;
}

/**
 * RFC 4271 §10: ConnectRetry, keepalive and similar timers are jittered to
 * between 75% and 100% of their value so that peers do not synchronize.
 * `random` is in [0, 1).
 */
export function jitter(seconds: number, random: number): number {
  return seconds * (0.75 + 0.25 * random);
}
