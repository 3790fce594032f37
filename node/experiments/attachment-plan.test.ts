import { describe, expect, it } from 'vitest';
import type { Experiment } from '../../registry/model.js';
import { attachmentRateLimit, birdSnippet, describeAttachment, planAttachment } from './attachment-plan.js';

const experiment: Experiment = {
  name: 'alice-bgp', owner: 'alice', description: '', asn: 4200000100, prefixes: ['10.128.1.0/24', 'fd80:0:1::/48'],
  maxPrefixes: 100, maxUpdatesPerMinute: 60, maxMbits: 4, expiresAt: '', state: 'active', node: 'garage-a', slot: 3, createdAt: '', updatedAt: '',
};
const node = { name: 'garage-a', asn: 4200000001 };

describe('planAttachment', () => {
  it('puts the link in the allocation: ours on the first host, theirs as asked, the experiment ASN as theirs', () => {
    const plan = planAttachment(experiment, { experiment: 'alice-bgp', routerAddress: '10.128.1.2', netns: 'lab' }, node);
    expect([plan.ourAddress, plan.theirAddress, plan.prefixLength, plan.theirAsn, plan.ourAsn]).toEqual(['10.128.1.1', '10.128.1.2', 24, 4200000100, 4200000001]);
    expect([plan.interface, plan.peerInterface, plan.peerName]).toEqual(['gx3a', 'gx3b', 'exp-alice-bgp']);
    expect(birdSnippet(plan)).toContain('local 10.128.1.2 as 4200000100;\n  neighbor 10.128.1.1 as 4200000001;');
  });

  it("carries the experiment's rate to the attachment's policer; a registry without one gives the default", () => {
    const plan = planAttachment(experiment, { experiment: 'alice-bgp', routerAddress: '10.128.1.2', netns: 'lab' }, node);
    expect(plan.maxMbits).toBe(4);
    expect(describeAttachment(plan)).toContain('send at most 4 Mbit/s');
    expect(attachmentRateLimit(plan.maxMbits)).toEqual({ bytesPerSecond: 500_000, burstBytes: 50_000 });
    expect(attachmentRateLimit(1)).toEqual({ bytesPerSecond: 125_000, burstBytes: 12_500 });
    expect(planAttachment({ ...experiment, maxMbits: 0 }, { experiment: 'alice-bgp', routerAddress: '10.128.1.2', netns: 'lab' }, node).maxMbits).toBe(10);
  });

  it('takes the second host when the router wants the first', () => {
    expect(planAttachment(experiment, { experiment: 'alice-bgp', routerAddress: '10.128.1.1', iface: 'eth9' }, node).ourAddress).toBe('10.128.1.2');
  });

  it('refuses a router outside the allocation, another node, a stopped experiment, and both or neither of --netns/--iface', () => {
    const attach = (e: Experiment, r: Partial<{ routerAddress: string; netns: string; iface: string }>, n = node) =>
      () => planAttachment(e, { experiment: e.name, routerAddress: '10.128.1.2', ...r }, n);
    expect(attach(experiment, { routerAddress: '10.64.0.2', netns: 'x' })).toThrow(/outside experiment alice-bgp's allocation 10.128.1.0\/24/);
    expect(attach(experiment, { netns: 'x' }, { name: 'garage-b', asn: 1 })).toThrow(/belongs to node garage-a/);
    expect(attach({ ...experiment, state: 'stopped' }, { netns: 'x' })).toThrow(/is stopped/);
    expect(attach(experiment, { netns: 'x', iface: 'y' })).toThrow(/exactly one of --netns and --iface/);
    expect(attach(experiment, {})).toThrow(/exactly one of --netns and --iface/);
  });
});
