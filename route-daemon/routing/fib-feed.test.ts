import { describe, expect, it } from 'vitest';
import { formatAddress, formatPrefix, parseAddress, parsePrefix } from '../../common/prefix.js';
import type { FibChange, FibRoute, ForwardingPlane } from '../fib.js';
import type { Plane } from './instance.js';
import { FibFeed } from './fib-feed.js';
import { createRoutingInstance, type PlaneInstance } from './plane-instance.js';

/** Stands in for the native plane: records calls, can hold a batch or fail one. */
class RecordingPlane implements ForwardingPlane {
  readonly calls: string[] = [];
  failNext = false;
  private gate: Promise<void> = Promise.resolve();
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
  }

  async apply(plane: Plane, changes: readonly FibChange[]): Promise<void> {
    this.calls.push(`apply ${plane} ${changes.map((c) => `${c.kind} ${formatPrefix(c.prefix)}${'nextHop' in c ? ` via ${formatAddress(c.nextHop)}` : ''}`).join(', ')}`);
    await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('RTNETLINK answers: No such process (10.70.0.0/16)');
    }
  }

  async resync(plane: Plane, routes: readonly FibRoute[]): Promise<void> {
    this.calls.push(`resync ${plane} ${routes.map((r) => formatPrefix(r.prefix)).join(', ')}`);
  }
}

function setup(): { rib: PlaneInstance; announce: (prefix: string, asns: number[]) => void } {
  const rib = createRoutingInstance({ plane: 'production', localAsn: 65000, pools: [parsePrefix('10.64.0.0/10')], authorizations: [] });
  rib.peerUp({ name: 'a', asn: 65001, address: parseAddress('10.64.0.2') }, {
    session: { routerId: 2, families: ['ipv4-unicast'], localAddress: parseAddress('10.64.0.1'), routeRefresh: true },
    onExportReady: () => {},
  });
  const announce = (prefix: string, asns: number[]): void => {
    rib.receive('a', { withdrawn: [], announced: [{ attributes: { origin: 'igp', asPath: [{ type: 'sequence', asns }], nextHop: parseAddress('10.64.0.2') }, prefixes: [parsePrefix(prefix)] }] });
  };
  return { rib, announce };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('FibFeed', () => {
  it('resyncs first, then sends only later changes, one batch in flight at a time', async () => {
    const { rib, announce } = setup();
    announce('10.70.0.0/16', [65001]);
    const plane = new RecordingPlane();
    const feed = new FibFeed(rib, { forwarding: plane });
    await feed.start();
    expect(plane.calls).toEqual(['resync production 10.70.0.0/16']);

    plane.hold();
    announce('10.71.0.0/16', [65001]);
    await tick();
    // While that batch is held, more changes arrive: they wait, coalesced, for the next batch.
    announce('10.72.0.0/16', [65001]);
    rib.receive('a', { withdrawn: [parsePrefix('10.70.0.0/16')], announced: [] });
    await tick();
    expect(plane.calls.length).toBe(2);
    plane.release();
    await feed.idle();
    expect(plane.calls.slice(1)).toEqual([
      'apply production add 10.71.0.0/16 via 10.64.0.2',
      'apply production add 10.72.0.0/16 via 10.64.0.2, withdraw 10.70.0.0/16',
    ]);
    feed.stop();
  });

  it('starts over with a full resync after a failed batch', async () => {
    const { rib, announce } = setup();
    const plane = new RecordingPlane();
    const feed = new FibFeed(rib, { forwarding: plane, retryMs: 5 });
    await feed.start();
    plane.failNext = true;
    announce('10.70.0.0/16', [65001]);
    await tick();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await feed.idle();
    expect(plane.calls).toEqual(['resync production ', 'apply production add 10.70.0.0/16 via 10.64.0.2', 'resync production 10.70.0.0/16']);
    announce('10.71.0.0/16', [65001]);
    await tick();
    await feed.idle();
    expect(plane.calls.at(-1)).toBe('apply production add 10.71.0.0/16 via 10.64.0.2');
    feed.stop();
  });
});
