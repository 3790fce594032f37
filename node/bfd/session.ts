import { BfdDiagnostic, BfdState, type BfdControlPacket } from './codec.js';

/**
 * One BFD session in asynchronous mode (RFC 5880 section 6.8), as a pure
 * state machine: packets and the current time go in, packets to send and
 * state changes come out. It owns no socket and no timer, so every rule is
 * unit-tested with a hand-driven clock; the UDP transport drives it.
 * Times are microseconds, as on the wire.
 */
export interface BfdTimers {
  /** How often we would like to send when Up. */
  desiredMinTxUs: number;
  /** How often we can take packets. */
  requiredMinRxUs: number;
  detectMultiplier: number;
}

export interface BfdStateChange {
  from: BfdState;
  to: BfdState;
  diagnostic: BfdDiagnostic;
}

export interface BfdReceiveResult {
  /** A packet to send at once: the Final answer to a Poll, or news of our own state change. */
  reply: BfdControlPacket | null;
  change: BfdStateChange | null;
}

/** RFC 5880 section 6.8.3: below Up, send no faster than once a second. */
export const SLOW_TX_US = 1_000_000;

export class BfdSession {
  readonly localDiscriminator: number;
  private sessionState = BfdState.Down;
  private diagnostic = BfdDiagnostic.None;
  private remoteDiscriminator = 0;
  private remoteState = BfdState.Down;
  private remoteMinRxUs = 1;
  private remoteDesiredMinTxUs = 0;
  private remoteDetectMultiplier = 0;
  private configured: BfdTimers;
  /** What our packets advertise now. */
  private advertisedTxUs: number;
  private advertisedRxUs: number;
  /** What we act on: these lag the advertised values while a Poll Sequence runs (section 6.8.3). */
  private activeTxUs: number;
  private activeRxUs: number;
  private polling = false;
  private lastReceivedUs: number | null = null;
  private readonly random: () => number;

  constructor(options: { localDiscriminator: number; timers: BfdTimers; random?: () => number }) {
    if (options.localDiscriminator < 1 || options.localDiscriminator > 0xffffffff) {
      throw new RangeError('BFD local discriminator must be 1..2^32-1');
    }
    checkTimers(options.timers);
    this.localDiscriminator = options.localDiscriminator;
    this.configured = { ...options.timers };
    this.random = options.random ?? Math.random;
    this.advertisedTxUs = Math.max(SLOW_TX_US, this.configured.desiredMinTxUs);
    this.advertisedRxUs = this.configured.requiredMinRxUs;
    this.activeTxUs = this.advertisedTxUs;
    this.activeRxUs = this.advertisedRxUs;
  }

  get state(): BfdState {
    return this.sessionState;
  }

  /**
   * Detection time at this end (section 6.8.4): the remote multiplier times the
   * slower of what we can take and what the remote wants to send. Zero until
   * the remote has been heard.
   */
  detectionTimeUs(): number {
    return this.remoteDetectMultiplier * Math.max(this.activeRxUs, this.remoteDesiredMinTxUs);
  }

  /** Interval between our periodic packets, before jitter: the slower of our wish and the remote's limit. */
  transmitIntervalUs(): number {
    return Math.max(this.activeTxUs, this.remoteMinRxUs);
  }

  /** The next interval with the jitter of section 6.8.7 (75-100%, or 75-90% with a multiplier of 1). */
  jitteredTransmitIntervalUs(): number {
    const top = this.configured.detectMultiplier === 1 ? 0.9 : 1;
    return Math.floor(this.transmitIntervalUs() * (0.75 + (top - 0.75) * this.random()));
  }

  /** When the detection time runs out, or null when nothing is being detected (Down, AdminDown). */
  detectionDeadlineUs(): number | null {
    if (this.lastReceivedUs === null) return null;
    if (this.sessionState !== BfdState.Init && this.sessionState !== BfdState.Up) return null;
    return this.lastReceivedUs + this.detectionTimeUs();
  }

  /** Whether periodic packets may be sent (section 6.8.7: not while the remote asks for none). */
  mayTransmit(): boolean {
    return this.remoteMinRxUs !== 0;
  }

  /** The periodic control packet. */
  controlPacket(): BfdControlPacket {
    return this.packet({ poll: this.polling, final: false });
  }

  /** Handles a decoded, well-formed packet received at time `nowUs`. */
  receive(packet: BfdControlPacket, nowUs: number): BfdReceiveResult {
    // Section 6.8.6: a packet for another session, or authenticated when we do not authenticate, is dropped.
    if (packet.yourDiscriminator !== 0 && packet.yourDiscriminator !== this.localDiscriminator) return { reply: null, change: null };
    if (packet.authentication !== null) return { reply: null, change: null };
    this.remoteDiscriminator = packet.myDiscriminator;
    this.remoteState = packet.state;
    this.remoteMinRxUs = packet.requiredMinRxInterval;
    this.remoteDesiredMinTxUs = packet.desiredMinTxInterval;
    this.remoteDetectMultiplier = packet.detectMultiplier;
    if (packet.final && this.polling) {
      this.polling = false;
      this.activeTxUs = this.advertisedTxUs;
      this.activeRxUs = this.advertisedRxUs;
    }
    this.lastReceivedUs = nowUs;
    if (this.sessionState === BfdState.AdminDown) return { reply: null, change: null };

    const before = this.sessionState;
    if (this.remoteState === BfdState.AdminDown) {
      if (before !== BfdState.Down) this.transition(BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown);
    } else if (before === BfdState.Down) {
      if (this.remoteState === BfdState.Down) this.transition(BfdState.Init, BfdDiagnostic.None);
      else if (this.remoteState === BfdState.Init) this.transition(BfdState.Up, BfdDiagnostic.None);
    } else if (before === BfdState.Init) {
      if (this.remoteState === BfdState.Init || this.remoteState === BfdState.Up) this.transition(BfdState.Up, BfdDiagnostic.None);
    } else if (this.remoteState === BfdState.Down) {
      this.transition(BfdState.Down, BfdDiagnostic.NeighborSignaledSessionDown);
    }
    const change = this.sessionState === before ? null : { from: before, to: this.sessionState, diagnostic: this.diagnostic };
    // A Poll is answered at once with Final; a state change is announced at once rather than at the next tick.
    let reply: BfdControlPacket | null = null;
    if (packet.poll) reply = this.packet({ poll: false, final: true });
    else if (change !== null) reply = this.controlPacket();
    return { reply, change };
  }

  /** Checks the detection timer at `nowUs`; Init or Up with nothing heard for the detection time goes Down. */
  expire(nowUs: number): BfdStateChange | null {
    const deadline = this.detectionDeadlineUs();
    if (deadline === null || nowUs < deadline) return null;
    const from = this.sessionState;
    this.remoteDiscriminator = 0;
    this.transition(BfdState.Down, BfdDiagnostic.ControlDetectionTimeExpired);
    return { from, to: BfdState.Down, diagnostic: this.diagnostic };
  }

  /** Changes the timers while running; a Poll Sequence tells the remote (section 6.8.3). */
  setTimers(timers: BfdTimers): void {
    checkTimers(timers);
    this.configured = { ...timers };
    this.applyTimers();
  }

  /** Takes the session administratively down (the remote sees AdminDown and goes Down, not "failed"). */
  setAdminDown(): BfdStateChange | null {
    if (this.sessionState === BfdState.AdminDown) return null;
    const from = this.sessionState;
    this.transition(BfdState.AdminDown, BfdDiagnostic.AdministrativelyDown);
    return { from, to: BfdState.AdminDown, diagnostic: this.diagnostic };
  }

  /** Leaves AdminDown; the session starts again from Down. */
  setAdminUp(): BfdStateChange | null {
    if (this.sessionState !== BfdState.AdminDown) return null;
    this.transition(BfdState.Down, BfdDiagnostic.None);
    return { from: BfdState.AdminDown, to: BfdState.Down, diagnostic: this.diagnostic };
  }

  private transition(to: BfdState, diagnostic: BfdDiagnostic): void {
    this.sessionState = to;
    if (diagnostic !== BfdDiagnostic.None || to === BfdState.Up) this.diagnostic = diagnostic;
    this.applyTimers();
  }

  /**
   * Sets the advertised timers from the configuration and the state (slow
   * below Up), and starts a Poll Sequence if they changed. Faster sending
   * and longer detection are safe at once; the others wait for the Final.
   */
  private applyTimers(): void {
    const tx = this.sessionState === BfdState.Up ? this.configured.desiredMinTxUs : Math.max(SLOW_TX_US, this.configured.desiredMinTxUs);
    const rx = this.configured.requiredMinRxUs;
    if (tx === this.advertisedTxUs && rx === this.advertisedRxUs) return;
    this.advertisedTxUs = tx;
    this.advertisedRxUs = rx;
    if (tx < this.activeTxUs || this.sessionState !== BfdState.Up) this.activeTxUs = tx;
    if (rx > this.activeRxUs || this.sessionState !== BfdState.Up) this.activeRxUs = rx;
    this.polling = this.remoteDiscriminator !== 0;
  }

  private packet(flags: { poll: boolean; final: boolean }): BfdControlPacket {
    return {
      diagnostic: this.diagnostic,
      state: this.sessionState,
      poll: flags.poll,
      final: flags.final,
      controlPlaneIndependent: false,
      demand: false,
      detectMultiplier: this.configured.detectMultiplier,
      myDiscriminator: this.localDiscriminator,
      yourDiscriminator: this.remoteDiscriminator,
      desiredMinTxInterval: this.advertisedTxUs,
      requiredMinRxInterval: this.advertisedRxUs,
      requiredMinEchoRxInterval: 0,
      authentication: null,
    };
  }
}

function checkTimers(timers: BfdTimers): void {
  if (!Number.isInteger(timers.detectMultiplier) || timers.detectMultiplier < 1 || timers.detectMultiplier > 255) {
    throw new RangeError(`BFD detect multiplier ${timers.detectMultiplier} is outside 1..255`);
  }
  for (const [name, value] of [['desired min tx', timers.desiredMinTxUs], ['required min rx', timers.requiredMinRxUs]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 0xffffffff) throw new RangeError(`BFD ${name} ${value} µs is outside 1..2^32-1`);
  }
}
