import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerSessionMetrics } from './metrics.js';
import { zeroCounts, type NeighborStatus } from './status.js';

const status = (fields: Partial<NeighborStatus>): NeighborStatus => ({
  name: 'b', plane: 'production', address: '10.0.0.2', asn: 65002, passive: false, state: 'Established', holdTime: 9, keepaliveTime: 3,
  families: ['ipv4-unicast'], received: zeroCounts(), sent: zeroCounts(), prefixes: { accepted: 0, rejected: 0, withdrawn: 0 },
  treatAsWithdraw: 0, attributesDiscarded: 0, readPauses: 0, flaps: 0, ...fields,
});

describe('session metrics', () => {
  it('reads state and counters of every session at scrape time', async () => {
    let sessions = [status({ received: { ...zeroCounts(), update: 7 }, treatAsWithdraw: 2 }), status({ name: 'lab', plane: 'experimental', state: 'Active', flaps: 3 })];
    const registry = new Registry();
    registerSessionMetrics(registry, () => sessions);
    const text = await registry.metrics();
    expect(text).toContain('garagenet_bgp_session_established{plane="production",peer="b"} 1');
    expect(text).toContain('garagenet_bgp_session_established{plane="experimental",peer="lab"} 0');
    expect(text).toContain('garagenet_bgp_messages_total{plane="production",peer="b",direction="received",type="update"} 7');
    expect(text).toContain('garagenet_bgp_session_flaps_total{plane="experimental",peer="lab"} 3');
    expect(text).toContain('garagenet_bgp_malformed_updates_total{plane="production",peer="b",outcome="treat-as-withdraw"} 2');
    sessions = [status({ received: { ...zeroCounts(), update: 9 } })];
    expect(await registry.metrics()).toContain('direction="received",type="update"} 9');
  });
});
