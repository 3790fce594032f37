import { Counter, Gauge, type Registry } from 'prom-client';
import type { PeerCounters, RouteQueries } from './queries.js';

/**
 * Prometheus metrics of the routing instances, read from their counters at
 * scrape time: a scrape costs O(peers), never a table walk.
 */
export function registerRoutingMetrics(registry: Registry, instances: Iterable<RouteQueries>): void {
  const list = [...instances];
  new Gauge({
    name: 'garagenet_bgp_routes',
    help: 'Prefixes in the Loc-RIB',
    labelNames: ['plane', 'family'],
    registers: [registry],
    collect() {
      for (const i of list) {
        const c = i.counters();
        this.set({ plane: i.plane, family: 'ipv4' }, c.routes.ipv4);
        this.set({ plane: i.plane, family: 'ipv6' }, c.routes.ipv6);
      }
    },
  });
  new Gauge({
    name: 'garagenet_bgp_paths',
    help: 'Paths in all Adj-RIBs-In (after import policy)',
    labelNames: ['plane'],
    registers: [registry],
    collect() {
      for (const i of list) this.set({ plane: i.plane }, i.counters().paths);
    },
  });
  new Gauge({
    name: 'garagenet_bgp_attribute_sets',
    help: 'Distinct interned path-attribute sets',
    labelNames: ['plane'],
    registers: [registry],
    collect() {
      for (const i of list) this.set({ plane: i.plane }, i.counters().attributeSets);
    },
  });
  new Counter({
    name: 'garagenet_bgp_policy_decisions_total',
    help: 'Import and export policy decisions by outcome',
    labelNames: ['plane', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const i of list) for (const [outcome, n] of Object.entries(i.counters().decisions)) this.inc({ plane: i.plane, outcome }, n);
    },
  });
  const perPeer = (metric: { name: string; help: string; pick: (c: PeerCounters) => number }): void => {
    const { name, help, pick } = metric;
    new Gauge({
      name,
      help,
      labelNames: ['plane', 'peer'],
      registers: [registry],
      collect() {
        this.reset();
        for (const i of list) for (const c of i.allPeerCounters()) this.set({ plane: i.plane, peer: c.name }, pick(c));
      },
    });
  };
  perPeer({ name: 'garagenet_bgp_peer_accepted_routes', help: 'Routes from the peer in its Adj-RIB-In', pick: (c) => c.accepted });
  perPeer({ name: 'garagenet_bgp_peer_advertised_routes', help: 'Prefixes advertised to the peer', pick: (c) => c.advertised });
  perPeer({ name: 'garagenet_bgp_peer_stale_routes', help: 'Routes of a restarting peer kept as stale', pick: (c) => c.stale });
}
