import { describe, expect, it } from 'vitest';
import { experimentLimits, experimentRecord, MAX_MBITS } from './experiment-limits.js';
import { KeyLayout } from './keys.js';
import type { Experiment } from './model.js';
import { toChange } from './watch-hub.js';

const unset = { maxPrefixes: 0, maxUpdatesPerMinute: 0, maxMbits: 0, durationSeconds: 0, prefixLength: 0 };

describe('experiment limits', () => {
  it('fills every unset limit with its default', () => {
    expect(experimentLimits(unset)).toEqual({ maxPrefixes: 100, maxUpdatesPerMinute: 60, maxMbits: 10, durationSeconds: 7 * 86_400, prefixLength: 24 });
  });

  it('keeps a rate inside the range and refuses one outside it, naming the field', () => {
    expect(experimentLimits({ ...unset, maxMbits: 2 }).maxMbits).toBe(2);
    expect(experimentLimits({ ...unset, maxMbits: MAX_MBITS.max }).maxMbits).toBe(1000);
    expect(() => experimentLimits({ ...unset, maxMbits: 1001 })).toThrow(/^max_mbits: 1001 is outside 1..1000$/);
    expect(() => experimentLimits({ ...unset, maxMbits: 2.5 })).toThrow(/^max_mbits: 2.5 is outside/);
    expect(() => experimentLimits({ ...unset, prefixLength: 23 })).toThrow(/^prefix_length: 23 is outside 24..28/);
  });
});

describe('experiment records stored before max_mbits', () => {
  const old = {
    name: 'e1', owner: 'uni-a', description: '', asn: 4200100001, prefixes: ['10.96.1.0/24'], maxPrefixes: 4, maxUpdatesPerMinute: 60,
    expiresAt: '', state: 'active', node: '', slot: 1, createdAt: '', updatedAt: '',
  } as Omit<Experiment, 'maxMbits'> as Experiment;

  it('read as the default rate, and a stored rate is kept', () => {
    expect(experimentRecord(old).maxMbits).toBe(10);
    expect(experimentRecord({ ...old, maxMbits: 3 }).maxMbits).toBe(3);
  });

  it('reach watchers with the default rate', () => {
    const keys = new KeyLayout();
    const change = toChange(keys, keys.experiment('e1'), Buffer.from(JSON.stringify(old)));
    expect(change?.experiment?.maxMbits).toBe(10);
  });
});
