import { describe, expect, it } from 'vitest';
import { BfdDiagnostic, BfdState, decodeBfdControl, encodeBfdControl, type BfdControlPacket } from './codec.js';
import { BfdSession, SLOW_TX_US, type BfdTimers } from './session.js';

const fast: BfdTimers = { desiredMinTxUs: 50_000, requiredMinRxUs: 50_000, detectMultiplier: 3 };

/** Carries a packet over the "wire" (through the codec, as the transport does). */
function wire(packet: BfdControlPacket): BfdControlPacket {
  return decodeBfdControl(encodeBfdControl(packet));
}

/** Two sessions brought Up by the three-way handshake; returns them and the changes seen. */
function bringUp(timersA: BfdTimers = fast, timersB: BfdTimers = fast): { a: BfdSession; b: BfdSession; changes: string[] } {
  const a = new BfdSession({ localDiscriminator: 11, timers: timersA, random: () => 0.5 });
  const b = new BfdSession({ localDiscriminator: 22, timers: timersB, random: () => 0.5 });
  const changes: string[] = [];
  const note = (who: string, r: { change: { from: BfdState; to: BfdState } | null }): void => {
    if (r.change) changes.push(`${who}:${BfdState[r.change.from]}->${BfdState[r.change.to]}`);
  };
  const r1 = b.receive(wire(a.controlPacket()), 0); // A says Down
  note('b', r1);
  const r2 = a.receive(wire(r1.reply!), 1); // B says Init at once
  note('a', r2);
  const r3 = b.receive(wire(r2.reply!), 2); // A says Up at once
  note('b', r3);
  return { a, b, changes };
}

describe('BFD session state machine', () => {
  it('comes Up by the three-way handshake, announcing each change at once', () => {
    const { a, b, changes } = bringUp();
    expect(changes).toEqual(['b:Down->Init', 'a:Down->Up', 'b:Init->Up']);
    expect(a.state).toBe(BfdState.Up);
    expect(b.state).toBe(BfdState.Up);
    expect(a.controlPacket().yourDiscriminator).toBe(22);
    expect(b.controlPacket().yourDiscriminator).toBe(11);
  });

  it('sends at most once a second until Up, then switches to the fast rate with a Poll Sequence', () => {
    const lone = new BfdSession({ localDiscriminator: 1, timers: fast });
    expect(lone.controlPacket().desiredMinTxInterval).toBe(SLOW_TX_US);
    expect(lone.transmitIntervalUs()).toBe(SLOW_TX_US);

    const { a, b } = bringUp();
    const poll = a.controlPacket();
    expect(poll.poll).toBe(true);
    expect(poll.desiredMinTxInterval).toBe(50_000);
    const answer = b.receive(wire(poll), 10);
    expect(answer.reply?.final).toBe(true);
    expect(answer.reply?.poll).toBe(false);
    a.receive(wire(answer.reply!), 11);
    expect(a.controlPacket().poll).toBe(false);
    // B finishes its own Poll Sequence the same way.
    b.receive(wire(a.receive(wire(b.controlPacket()), 12).reply!), 13);
    expect(a.transmitIntervalUs()).toBe(50_000);
    expect(b.transmitIntervalUs()).toBe(50_000);
  });

  it('computes the detection time as remote multiplier times the slower of local rx and remote tx', () => {
    const { a, b } = bringUp(
      { desiredMinTxUs: 50_000, requiredMinRxUs: 100_000, detectMultiplier: 3 },
      { desiredMinTxUs: 20_000, requiredMinRxUs: 20_000, detectMultiplier: 5 },
    );
    // Settle both Poll Sequences so the fast timers are in force.
    for (let i = 0; i < 3; i++) {
      const fromA = b.receive(wire(a.controlPacket()), 100 + i);
      if (fromA.reply) a.receive(wire(fromA.reply), 100 + i);
      const fromB = a.receive(wire(b.controlPacket()), 100 + i);
      if (fromB.reply) b.receive(wire(fromB.reply), 100 + i);
    }
    expect(a.detectionTimeUs()).toBe(5 * Math.max(100_000, 20_000));
    expect(b.detectionTimeUs()).toBe(3 * Math.max(20_000, 50_000));
    // B must not send faster than A can take.
    expect(b.transmitIntervalUs()).toBe(100_000);
  });

  it('goes Down with "detection time expired" exactly when the detection time has passed', () => {
    const { a, b } = bringUp();
    b.receive(wire(a.receive(wire(b.controlPacket()), 1_000).reply ?? a.controlPacket()), 1_000);
    a.receive(wire(b.controlPacket()), 2_000);
    const deadline = a.detectionDeadlineUs()!;
    expect(deadline).toBe(2_000 + a.detectionTimeUs());
    expect(a.expire(deadline - 1)).toBeNull();
    expect(a.state).toBe(BfdState.Up);
    expect(a.expire(deadline)).toEqual({ from: BfdState.Up, to: BfdState.Down, diagnostic: BfdDiagnostic.ControlDetectionTimeExpired });
    expect(a.controlPacket().diagnostic).toBe(BfdDiagnostic.ControlDetectionTimeExpired);
    expect(a.controlPacket().yourDiscriminator).toBe(0);
    expect(a.detectionDeadlineUs()).toBeNull();
  });

  it('follows the remote Down (diagnostic: neighbor signaled down) and comes back Up', () => {
    const { a, b } = bringUp();
    b.expire(b.detectionDeadlineUs()!);
    expect(b.state).toBe(BfdState.Down);
    const down = a.receive(wire(b.controlPacket()), 5_000_000);
    expect(down.change).toEqual({ from: BfdState.Up, to: BfdState.Down, diagnostic: BfdDiagnostic.NeighborSignaledSessionDown });
    // B's Down packet carried no "your discriminator"; A answers Down and they handshake again.
    const init = b.receive(wire(down.reply!), 5_000_001);
    expect(init.change?.to).toBe(BfdState.Init);
    const up = a.receive(wire(init.reply!), 5_000_002);
    expect(up.change?.to).toBe(BfdState.Up);
  });

  it('treats a remote AdminDown as Down without calling it a failure, and ignores packets while itself AdminDown', () => {
    const { a, b } = bringUp();
    expect(b.setAdminDown()?.to).toBe(BfdState.AdminDown);
    const adminDown = b.controlPacket();
    expect(adminDown.state).toBe(BfdState.AdminDown);
    expect(adminDown.diagnostic).toBe(BfdDiagnostic.AdministrativelyDown);
    expect(a.receive(wire(adminDown), 10).change?.to).toBe(BfdState.Down);
    expect(b.receive(wire(a.controlPacket()), 11).change).toBeNull();
    expect(b.state).toBe(BfdState.AdminDown);
    expect(b.detectionDeadlineUs()).toBeNull();
    expect(b.setAdminUp()?.to).toBe(BfdState.Down);
  });

  it('drops packets for another discriminator or with authentication', () => {
    const a = new BfdSession({ localDiscriminator: 11, timers: fast });
    const b = new BfdSession({ localDiscriminator: 22, timers: fast });
    const stray = { ...b.controlPacket(), yourDiscriminator: 99 };
    expect(a.receive(stray, 0)).toEqual({ reply: null, change: null });
    const authenticated = { ...b.controlPacket(), authentication: { type: 1, data: Buffer.from([1, 0]) } };
    expect(a.receive(authenticated, 0)).toEqual({ reply: null, change: null });
    expect(a.state).toBe(BfdState.Down);
    expect(a.detectionDeadlineUs()).toBeNull();
  });

  it('keeps the old rate after raising its tx interval until the remote answers the Poll', () => {
    const { a, b } = bringUp();
    b.receive(wire(a.receive(wire(b.receive(wire(a.controlPacket()), 1).reply!), 2).reply ?? a.controlPacket()), 3);
    a.receive(wire(b.receive(wire(a.controlPacket()), 4).reply ?? b.controlPacket()), 5);
    expect(a.transmitIntervalUs()).toBe(50_000);
    a.setTimers({ ...fast, desiredMinTxUs: 300_000 });
    const poll = a.controlPacket();
    expect(poll.poll).toBe(true);
    expect(poll.desiredMinTxInterval).toBe(300_000);
    expect(a.transmitIntervalUs()).toBe(50_000);
    a.receive(wire(b.receive(wire(poll), 6).reply!), 7);
    expect(a.transmitIntervalUs()).toBe(300_000);
    // B now expects A's packets no faster than 300 ms: its detection time grows with it.
    expect(b.detectionTimeUs()).toBe(3 * 300_000);
  });

  it('jitters the transmit interval to 75-100% (75-90% with multiplier 1)', () => {
    const low = new BfdSession({ localDiscriminator: 1, timers: fast, random: () => 0 });
    const high = new BfdSession({ localDiscriminator: 1, timers: fast, random: () => 0.999999 });
    const single = new BfdSession({ localDiscriminator: 1, timers: { ...fast, detectMultiplier: 1 }, random: () => 0.999999 });
    expect(low.jitteredTransmitIntervalUs()).toBe(750_000);
    expect(high.jitteredTransmitIntervalUs()).toBe(999_999);
    expect(single.jitteredTransmitIntervalUs()).toBe(899_999);
  });

  it('rejects out-of-range timers and discriminators', () => {
    expect(() => new BfdSession({ localDiscriminator: 0, timers: fast })).toThrow(/discriminator/);
    expect(() => new BfdSession({ localDiscriminator: 1, timers: { ...fast, detectMultiplier: 0 } })).toThrow(/multiplier/);
    expect(() => new BfdSession({ localDiscriminator: 1, timers: { ...fast, requiredMinRxUs: 0 } })).toThrow(/required min rx/);
  });
});
