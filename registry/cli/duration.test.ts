import { expect, it } from 'vitest';
import { parseDuration } from './duration.js';

it('parses the units operators write and names the option when wrong', () => {
  expect(parseDuration('--expires', '90s')).toBe(90);
  expect(parseDuration('--expires', '24h')).toBe(86_400);
  expect(parseDuration('--duration', '7d')).toBe(604_800);
  expect(() => parseDuration('--expires', '1w')).toThrow(/--expires "1w" is not a duration/);
  expect(() => parseDuration('--expires', '-5m')).toThrow(/--expires/);
});
