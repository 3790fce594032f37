import { UserError } from '../../common/errors.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "90s", "30m", "24h", "7d" -> seconds. */
export function parseDuration(option: string, text: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(text.trim());
  if (!m) throw new UserError(`${option} "${text}" is not a duration`, { hint: 'write it like 90s, 30m, 24h or 7d' });
  return Number(m[1]) * UNITS[m[2]!]!;
}
