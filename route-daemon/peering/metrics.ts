import { Counter, Gauge, type Registry } from 'prom-client';
import type { NeighborStatus } from './status.js';

/**
 * Prometheus metrics of the BGP sessions, read from their kept counters at
 * scrape time (O(sessions) per scrape).
 */
export function registerSessionMetrics(registry: Registry, sessions: () => readonly NeighborStatus[]): void {
  new Gauge({
    name: 'garagenet_bgp_session_established',
    help: '1 while the session is Established, else 0',
    labelNames: ['plane', 'peer'],
    registers: [registry],
    collect() {
      this.reset();
      for (const n of sessions()) this.set({ plane: n.plane, peer: n.name }, n.state === 'Established' ? 1 : 0);
    },
  });
  new Counter({
    name: 'garagenet_bgp_messages_total',
    help: 'BGP messages by direction and type',
    labelNames: ['plane', 'peer', 'direction', 'type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const n of sessions()) {
        for (const [type, count] of Object.entries(n.received)) this.inc({ plane: n.plane, peer: n.name, direction: 'received', type }, count);
        for (const [type, count] of Object.entries(n.sent)) this.inc({ plane: n.plane, peer: n.name, direction: 'sent', type }, count);
      }
    },
  });
  new Counter({
    name: 'garagenet_bgp_session_flaps_total',
    help: 'Times the session left Established',
    labelNames: ['plane', 'peer'],
    registers: [registry],
    collect() {
      this.reset();
      for (const n of sessions()) this.inc({ plane: n.plane, peer: n.name }, n.flaps);
    },
  });
  new Counter({
    name: 'garagenet_bgp_malformed_updates_total',
    help: 'RFC 7606 outcomes that kept the session up: treat-as-withdraw, attribute discard',
    labelNames: ['plane', 'peer', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const n of sessions()) {
        this.inc({ plane: n.plane, peer: n.name, outcome: 'treat-as-withdraw' }, n.treatAsWithdraw);
        this.inc({ plane: n.plane, peer: n.name, outcome: 'attribute-discard' }, n.attributesDiscarded);
      }
    },
  });
}
