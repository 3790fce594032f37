import { describe, expect, it } from 'vitest';
import { experimentAuditEntry } from './experiment-audit.js';
import type { PolicyEvent } from './routing/plane-instance.js';

const base: PolicyEvent = { plane: 'experimental', peer: 'exp-alice', prefix: '10.64.1.0/24', direction: 'import', check: 'plane-pool', reason: "outside the plane's pools", experiment: 'alice-bgp' };

describe('experimentAuditEntry', () => {
  it('names the experiment, the decision and the reason', () => {
    expect(experimentAuditEntry(base)).toEqual({
      experiment: 'alice-bgp', event: 'import.rejected.plane-pool', detail: "10.64.1.0/24: outside the plane's pools (peer exp-alice, experimental plane)",
    });
    expect(experimentAuditEntry({ ...base, check: 'damping', reason: 'suppressed: penalty 7000' })?.event).toBe('import.damped');
    expect(experimentAuditEntry({ ...base, prefix: '10.128.1.0/24', check: 'accepted', reason: 'valid' })?.event).toBe('import.accepted');
    expect(experimentAuditEntry({ ...base, prefix: '', check: 'removed', reason: 'peer removed, its 2 routes withdrawn' })).toMatchObject({
      event: 'session.removed', detail: 'peer removed, its 2 routes withdrawn (peer exp-alice, experimental plane)',
    });
    expect(experimentAuditEntry({ ...base, prefix: '', check: 'max-prefix', reason: '11 prefixes exceed the limit of 10' })).toMatchObject({
      event: 'session.ceased.max-prefix', detail: '11 prefixes exceed the limit of 10 (peer exp-alice, experimental plane)',
    });
  });

  it('leaves out peers that are not experiment attachments', () => {
    const { experiment: _, ...production } = base;
    expect(experimentAuditEntry({ ...production, plane: 'production' })).toBeUndefined();
  });

  it('keeps the detail within the registry\'s 4096 characters', () => {
    expect(experimentAuditEntry({ ...base, reason: 'x'.repeat(5000) })!.detail).toHaveLength(4096);
  });
});
