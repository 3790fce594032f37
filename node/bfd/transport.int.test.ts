import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { BfdDiagnostic, BfdState } from './codec.js';
import { BFD_CONTROL_PORT, BfdEndpoint, type BfdStateEvent } from './transport.js';

// Unusual loopback addresses, so that a BFD daemon elsewhere on 127.0.0.1 is not disturbed.
const A = '127.88.0.1';
const B = '127.88.0.2';
const timers = { desiredMinTxUs: 20_000, requiredMinRxUs: 20_000, detectMultiplier: 3 };

function nextState(endpoint: BfdEndpoint, to: BfdState, timeoutMs = 10_000): Promise<BfdStateEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${BfdState[to]} within ${timeoutMs} ms`)), timeoutMs);
    const listener = (event: BfdStateEvent): void => {
      if (event.to !== to) return;
      clearTimeout(timer);
      endpoint.off('state', listener);
      resolve(event);
    };
    endpoint.on('state', listener);
  });
}

describe('BFD endpoints over loopback UDP', () => {
  const endpoints: BfdEndpoint[] = [];

  afterEach(async () => {
    for (const e of endpoints.splice(0)) await e.close();
  });

  it('come Up, survive garbage on port 3784, and follow an administrative stop', async () => {
    const a = new BfdEndpoint();
    const b = new BfdEndpoint();
    endpoints.push(a, b);
    const upA = nextState(a, BfdState.Up);
    const upB = nextState(b, BfdState.Up);
    await a.addPeer(B, { localAddress: A, timers });
    await b.addPeer(A, { localAddress: B, timers });
    expect((await upA).peer).toBe(B);
    await upB;

    // Malformed and stray packets are counted and dropped; the session stays Up.
    const attacker = createSocket('udp4');
    const junk = [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(24, 0xff), Buffer.from('20c0031800000001000000070000c3500000c35000000000', 'hex')];
    for (const bytes of junk) await new Promise<void>((resolve) => attacker.send(bytes, BFD_CONTROL_PORT, A, () => resolve()));
    attacker.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(a.dropped).toBeGreaterThanOrEqual(junk.length);
    expect(a.status()[0]?.state).toBe('Up');

    // Stopping B's session sends AdminDown: A goes Down saying the neighbor signaled it, not a timeout.
    const downA = nextState(a, BfdState.Down);
    await b.removePeer(A);
    const down = await downA;
    expect(down.diagnostic).toBe(BfdDiagnostic.NeighborSignaledSessionDown);
    expect(b.status()).toEqual([]);
  });

  it('refuses a second session to the same peer and mixed address families, naming the peer', async () => {
    const a = new BfdEndpoint();
    endpoints.push(a);
    await a.addPeer(B, { localAddress: A, timers });
    await expect(a.addPeer(B, { localAddress: A, timers })).rejects.toThrow(`BFD peer ${B} already has a session`);
    await expect(a.addPeer('fd00::2', { localAddress: A, timers })).rejects.toThrow(/BFD peer fd00::2: .* one family/);
  });
});
