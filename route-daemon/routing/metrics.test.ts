import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix } from '../../common/prefix.js';
import { registerRoutingMetrics } from './metrics.js';
import { createRoutingInstance } from './plane-instance.js';

describe('registerRoutingMetrics', () => {
  it('exposes routes, sets, decisions and per-peer counts from the instances', async () => {
    const rib = createRoutingInstance({ plane: 'experimental', localAsn: 65000, pools: [parsePrefix('10.128.0.0/10')], authorizations: [] });
    rib.peerUp({ name: 'lab', asn: 65010, address: parseAddress('10.128.0.2') }, {
      session: { routerId: 2, families: ['ipv4-unicast'], localAddress: parseAddress('10.128.0.1'), routeRefresh: true },
      onExportReady: () => {},
    });
    rib.receive('lab', {
      withdrawn: [],
      announced: [{ attributes: { origin: 'igp', asPath: [{ type: 'sequence', asns: [65010] }], nextHop: parseAddress('10.128.0.2') }, prefixes: [parsePrefix('10.130.0.0/16'), parsePrefix('10.64.0.0/16')] }],
    });
    const registry = new Registry();
    registerRoutingMetrics(registry, [rib]);
    const text = await registry.metrics();
    expect(text).toContain('garagenet_bgp_routes{plane="experimental",family="ipv4"} 1');
    expect(text).toContain('garagenet_bgp_attribute_sets{plane="experimental"} 1');
    expect(text).toContain('garagenet_bgp_policy_decisions_total{plane="experimental",outcome="import:rejected:plane-pool"} 1');
    expect(text).toContain('garagenet_bgp_peer_accepted_routes{plane="experimental",peer="lab"} 1');
  });
});
