import { describe, expect, it } from 'vitest';
import { formatCounters } from './counters.js';

describe('plane counters', () => {
  it('prints every counter with packets and bytes', () => {
    const zero = { packets: 0, bytes: 0 };
    const text = formatCounters({
      spoofed: { packets: 12, bytes: 1008 },
      cross_plane: zero,
      killed: zero,
      experimental_forwarded: { packets: 300, bytes: 308400 },
      experimental_over_limit: zero,
    });
    expect(text.split('\n').slice(0, 3)).toEqual(['rule                     packets  bytes', 'spoofed                  12       1008', 'cross_plane              0        0']);
    expect(text).toContain('experimental_forwarded   300      308400');
  });
});
