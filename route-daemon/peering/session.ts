import type { Socket } from 'node:net';
import type { Logger } from '../../common/log.js';
import { formatAddress, formatPrefix, parseAddress, type Address } from '../../common/prefix.js';
import { decodeFramed, encodeMessage, encodeNotification } from '../packet/codec.js';
import { validateUpdate, type UpdateContext } from '../packet/validate.js';
import {
  MessageType,
  RouteRefreshSubtype,
  type BgpMessage,
  type CodecOptions,
  type OpenMessage,
  type UpdateMessage,
} from '../packet/types.js';
import type { AddressFamily, NegotiatedSession, PeerSettings, Plane, RoutingInstance } from '../routing/instance.js';
import { FAMILY_CODES, familyName, localOpen, negotiate, type LocalSpeaker, type Negotiated } from './capabilities.js';
import { resolveCollision } from './collision.js';
import { Connection, type ConnectionOwner } from './connection.js';
import { canonicalAddress } from './listener.js';
import { describeNotification, notifications, type Notification } from './errors.js';
import type { FsmAction, FsmConfig, FsmEvent } from './fsm.js';
import { familiesToPurgeOnReturn, keepRoutesOnDown } from './graceful-restart.js';
import { zeroCounts, type MessageKind, type NeighborStatus } from './status.js';
import { sessionTurns } from './turns.js';
import { encodeExport, endOfRibFamily, routeUpdate, type TooLargeRoutes } from './translate.js';

/**
 * The BGP session with one configured peer: up to two TCP connections while
 * a collision is resolved, the OPEN exchange and capabilities, UPDATE
 * handling with RFC 7606 outcomes, export to the peer with back-pressure,
 * route refresh, and graceful restart in both roles. Whatever the peer sends
 * affects only this session.
 */

export interface SessionOptions {
  readonly plane: Plane;
  readonly settings: PeerSettings;
  readonly instance: RoutingInstance;
  readonly local: LocalSpeaker;
  /** Only wait for the peer to connect. */
  readonly passive: boolean;
  /** The peer's BGP port (179 unless a test says otherwise). */
  readonly port: number;
  /** Source address for our outgoing connections. */
  readonly localAddress?: string;
  /** Our IPv6 address to announce as next hop of IPv6 routes when the session runs over IPv4. */
  readonly localAddressIpv6?: Address;
  readonly connectRetrySeconds: number;
  readonly keepaliveSeconds?: number;
  readonly log: Logger;
  /** Told when the session comes up and when the peer finishes a family's table (restart deferral). */
  readonly observer?: SessionObserver;
}

export interface SessionObserver {
  established(peer: string, families: readonly AddressFamily[]): void;
  endOfRib(peer: string, family: AddressFamily): void;
}

const NO_CODEC: CodecOptions = { fourOctetAs: false, families: [] };
const KIND_OF: Record<number, MessageKind> = {
  [MessageType.Open]: 'open',
  [MessageType.Update]: 'update',
  [MessageType.Notification]: 'notification',
  [MessageType.Keepalive]: 'keepalive',
  [MessageType.RouteRefresh]: 'routeRefresh',
};
const EXPORT_BATCH_PREFIXES = 4_000;
/**
 * While the instance is taking in UPDATEs, each session sends one batch this
 * small per turn of the event loop: with ten peers, exporting every received
 * route nine times at full speed left a tenth of the time to reading them.
 */
const EXPORT_BATCH_WHILE_IMPORTING = 256;

export class PeerSession implements ConnectionOwner {
  readonly name: string;
  private primary: Connection;
  private secondary: Connection | undefined;
  private readonly fsmConfig: FsmConfig;
  /** What an UPDATE of this peer is checked against: the same for the whole session. */
  private readonly updateContext: UpdateContext;
  private readonly log: Logger;
  private stopped = true;
  /** A graceful stop (daemon restart) leaves the routing instance alone: it is being discarded with its kernel routes kept. */
  private leavingGracefully = false;
  private restartTimer: NodeJS.Timeout | undefined;

  /** Per connection: the peer's OPEN once accepted. */
  private readonly negotiated = new WeakMap<Connection, Negotiated>();
  private codec: CodecOptions = NO_CODEC;
  private families: AddressFamily[] = [];
  /** Whether the R bit still goes into our OPEN: only until this session is first up after our restart. */
  private restarting: boolean;

  /**
   * Graceful restart, receiving side: the families whose routes the routing
   * instance keeps as stale while the peer restarts (it runs the restart and
   * stale-path timers), and the capability of the session that went down.
   */
  private staleFamilies: AddressFamily[] = [];
  private peerGracefulRestart: Negotiated['gracefulRestart'];

  private exportScheduled = false;
  private waitingForDrain = false;

  private readonly status = {
    received: zeroCounts(),
    sent: zeroCounts(),
    prefixes: { accepted: 0, rejected: 0, withdrawn: 0 },
    treatAsWithdraw: 0,
    attributesDiscarded: 0,
    readPauses: 0,
    flaps: 0,
    establishedAt: undefined as number | undefined,
    lastError: undefined as NeighborStatus['lastError'],
  };

  constructor(private readonly options: SessionOptions) {
    this.name = options.settings.name;
    this.log = options.log.child({ plane: options.plane, peer: this.name });
    this.fsmConfig = {
      passive: options.passive,
      connectRetrySeconds: options.connectRetrySeconds,
      holdTimeSeconds: options.local.holdTimeSeconds,
      ...(options.keepaliveSeconds !== undefined ? { keepaliveSeconds: options.keepaliveSeconds } : {}),
    };
    this.restarting = options.local.gracefulRestart?.restarting ?? false;
    const { asn } = options.settings;
    const external = asn !== options.local.asn;
    this.updateContext = { external, ...(external ? { peerAs: asn } : {}) };
    this.primary = this.newConnection('outbound');
  }

  get address(): string {
    return formatAddress(this.options.settings.address);
  }

  /** Our configured source address for this session, if any. */
  get localAddress(): string | undefined {
    return this.options.localAddress;
  }

  start(): void {
    this.stopped = false;
    this.primary.dispatch({ type: 'Start' });
  }

  /**
   * Ends the session. `graceful` closes TCP without a NOTIFICATION so that a
   * graceful-restart peer keeps our routes while the daemon restarts.
   */
  stop(options: { graceful?: boolean; notification?: Notification } = {}): void {
    this.stopped = true;
    this.leavingGracefully = options.graceful ?? false;
    this.clearRestartTimer();
    const event: FsmEvent = { type: 'Stop', ...(options.graceful ? { graceful: true } : {}), ...(options.notification ? { notification: options.notification } : {}) };
    this.secondary?.dispatch(event);
    this.primary.dispatch(event);
    this.secondary?.dispose();
    this.primary.dispose();
  }

  /** An inbound TCP connection from this peer's address. */
  accept(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    if (this.primary.state === 'Established' && !this.secondary && keepRoutesOnDown('connectionLost', this.peerGracefulRestart)) {
      // RFC 4724 §4.2: a graceful-restart peer that connects again while we still think the session
      // is up has restarted; the old connection is dead, its routes are kept as stale.
      this.log.info('peer connects again while the session is up: it has restarted');
      this.primary.dispatch({ type: 'TcpConnectionFails' });
    }
    if (this.primary.state === 'Idle') {
      this.clearRestartTimer();
      this.primary.dispatch({ type: 'Start' });
    }
    if (this.primary.state === 'Connect' || this.primary.state === 'Active') {
      this.primary.adopt(socket);
      return;
    }
    if (this.primary.state === 'Established' || this.secondary) {
      // RFC 4271 §6.8: a newcomer never replaces an Established session.
      this.log.info({ state: this.primary.state }, 'refusing a second connection');
      socket.end(encodeNotification(notifications.connectionRejected()));
      setTimeout(() => socket.destroy(), 2_000).unref();
      return;
    }
    // OpenSent / OpenConfirm: run the second connection until an OPEN resolves the collision.
    const second = this.newConnection('inbound');
    this.secondary = second;
    second.dispatch({ type: 'Start' });
    second.adopt(socket);
  }

  neighborStatus(): NeighborStatus {
    const up = this.primary.state === 'Established';
    const negotiated = this.negotiated.get(this.primary);
    return {
      name: this.name,
      plane: this.options.plane,
      address: this.address,
      asn: this.options.settings.asn,
      passive: this.options.passive,
      state: this.primary.state,
      ...(up && this.status.establishedAt !== undefined ? { establishedAt: this.status.establishedAt } : {}),
      ...(negotiated ? { routerId: formatAddress({ family: 4, value: BigInt(negotiated.peerId) }) } : {}),
      holdTime: this.primary.fsm.holdTime,
      keepaliveTime: this.primary.fsm.keepaliveTime,
      families: up ? this.families : [],
      received: { ...this.status.received },
      sent: { ...this.status.sent },
      prefixes: { ...this.status.prefixes },
      treatAsWithdraw: this.status.treatAsWithdraw,
      attributesDiscarded: this.status.attributesDiscarded,
      readPauses: this.status.readPauses,
      flaps: this.status.flaps,
      ...(this.status.lastError ? { lastError: this.status.lastError } : {}),
    };
  }

  /** Outbound soft reset or a request to the peer: ask it to send its routes again (RFC 2918). */
  requestRefresh(family?: AddressFamily): boolean {
    if (this.primary.state !== 'Established' || !this.negotiated.get(this.primary)?.routeRefresh) return false;
    for (const f of family ? [family] : this.families) {
      const { afi, safi } = FAMILY_CODES[f];
      this.send(this.primary, { type: MessageType.RouteRefresh, afi, safi, subtype: RouteRefreshSubtype.Normal });
    }
    return true;
  }

  // ---- ConnectionOwner

  encode(action: Extract<FsmAction, { type: 'sendOpen' | 'sendKeepalive' | 'sendNotification' }>): Buffer {
    if (action.type === 'sendNotification') {
      this.status.sent.notification++;
      const text = describeNotification(action.notification);
      this.status.lastError = { direction: 'sent', text, at: Date.now() };
      this.log.warn({ notification: text }, 'sending NOTIFICATION');
      // The data may quote a whole malformed message: cut to what fits.
      return encodeNotification(action.notification);
    }
    const message: BgpMessage = action.type === 'sendOpen' ? this.ourOpen() : { type: MessageType.Keepalive };
    this.status.sent[KIND_OF[message.type]!]++;
    return encodeMessage(message, NO_CODEC);
  }

  onMessage(connection: Connection, raw: Buffer): void {
    const type = raw[18]!;
    const kind = KIND_OF[type];
    if (kind) this.status.received[kind]++;
    // An UPDATE before Established is an FSM error whatever it holds: no need to read it.
    if (type === MessageType.Update && connection.state !== 'Established') return connection.dispatch({ type: 'UpdateReceived' });
    // The framer checked the header (and so the type) before handing the message over.
    const message = decodeFramed(raw, type as MessageType, connection.state === 'Established' ? this.codec : NO_CODEC);
    switch (message.type) {
      case MessageType.Open:
        return this.onOpen(connection, message);
      case MessageType.Keepalive:
        return connection.dispatch({ type: 'KeepaliveReceived' });
      case MessageType.Notification: {
        const text = describeNotification(message);
        this.status.lastError = { direction: 'received', text, at: Date.now() };
        this.log.warn({ notification: text }, 'peer sent NOTIFICATION');
        return connection.dispatch({ type: 'NotificationReceived', notification: message });
      }
      case MessageType.RouteRefresh: {
        connection.dispatch({ type: 'RouteRefreshReceived' });
        const family = familyName(message.afi, message.safi);
        // Enhanced route refresh markers (RFC 7313 subtypes 1, 2) are ours to ignore: we never offered it.
        if (connection.state === 'Established' && family && this.families.includes(family) && message.subtype === RouteRefreshSubtype.Normal) {
          this.log.info({ family }, 'peer asked for a route refresh');
          this.options.instance.refresh(this.name, family);
        }
        return;
      }
      case MessageType.Update:
        return this.onUpdate(connection, message);
    }
  }

  onSessionAction(connection: Connection, action: Extract<FsmAction, { type: 'established' | 'down' }>): void {
    if (connection !== this.primary) {
      // The second connection got there first while the primary still waited for an OPEN: it wins.
      if (action.type !== 'established') return;
      const loser = this.primary;
      this.primary = connection;
      this.secondary = undefined;
      loser.dispatch({ type: 'CollisionDump' });
    }
    if (action.type === 'established') this.onEstablished(connection);
    else this.onDown(action.cause);
  }

  onIdle(connection: Connection): void {
    if (connection === this.secondary) {
      this.secondary = undefined;
      return;
    }
    if (connection !== this.primary) return;
    if (this.secondary) {
      // The other connection won the collision and carries on.
      this.primary = this.secondary;
      this.secondary = undefined;
      return;
    }
    if (!this.stopped) this.scheduleRestart();
  }

  // ---- OPEN and collision

  private ourOpen(): OpenMessage {
    const gr = this.options.local.gracefulRestart;
    return localOpen({ ...this.options.local, ...(gr ? { gracefulRestart: { ...gr, restarting: this.restarting, forwardingPreserved: gr.forwardingPreserved && this.restarting } } : {}) });
  }

  private onOpen(connection: Connection, open: OpenMessage): void {
    if (connection.state !== 'OpenSent') return connection.dispatch({ type: 'OpenReceived', holdTime: open.holdTime });
    const outcome = negotiate(open, { local: this.options.local, peerAsn: this.options.settings.asn });
    if (!outcome.ok) {
      this.log.warn({ reason: outcome.reason }, 'refusing the peer OPEN');
      return connection.dispatch({ type: 'MessageError', notification: outcome.notification });
    }
    const other = connection === this.primary ? this.secondary : this.primary;
    const verdict = resolveCollision({
      localId: this.options.local.routerId,
      remoteId: open.bgpId,
      arriving: connection.direction,
      ...(other && other.state !== 'Idle' ? { other: { direction: other.direction, state: other.state } } : {}),
    });
    if (verdict === 'dumpArriving') {
      this.log.info({ direction: connection.direction }, 'connection collision: closing the newer connection');
      return connection.dispatch({ type: 'CollisionDump' });
    }
    if (verdict === 'dumpOther' && other) {
      this.log.info({ direction: other.direction }, 'connection collision: closing the other connection');
      other.dispatch({ type: 'CollisionDump' });
    }
    this.negotiated.set(connection, outcome.negotiated);
    connection.dispatch({ type: 'OpenReceived', holdTime: open.holdTime });
  }

  // ---- Established and down

  private onEstablished(connection: Connection): void {
    const negotiated = this.negotiated.get(connection);
    if (!negotiated) return;
    this.clearRestartTimer();
    this.families = [...negotiated.families];
    this.codec = { fourOctetAs: negotiated.fourOctetAs, families: this.families.map((f) => FAMILY_CODES[f]) };
    this.status.establishedAt = Date.now();
    this.restarting = false;
    const gr = negotiated.gracefulRestart;
    this.peerGracefulRestart = gr;
    const session: NegotiatedSession = {
      routerId: negotiated.peerId,
      families: this.families,
      localAddress: this.localAddressOf(connection),
      ...(this.options.localAddressIpv6 ? { localAddressIpv6: this.options.localAddressIpv6 } : {}),
      routeRefresh: negotiated.routeRefresh,
      // Every family the peer can restart for is kept while it restarts; whether forwarding really
      // survived is known only from its next OPEN (F bit), and judged then.
      ...(gr ? { gracefulRestart: { restartTimeSeconds: gr.restartTimeSeconds, preservedFamilies: gr.families.map((f) => f.family) } } : {}),
    };
    this.log.info({ families: this.families, holdTime: connection.fsm.holdTime, routerId: session.routerId }, 'session established');
    this.options.instance.peerUp(this.options.settings, { session, onExportReady: () => this.scheduleExport() });
    this.options.observer?.established(this.name, this.families);
    // The peer is back after a restart: what it could not preserve goes now, the rest waits for its End-of-RIB.
    for (const family of familiesToPurgeOnReturn(this.staleFamilies, gr)) this.endOfRib(family);
    this.scheduleExport();
  }

  private onDown(cause: Parameters<typeof keepRoutesOnDown>[0]): void {
    this.status.flaps++;
    this.status.establishedAt = undefined;
    this.waitingForDrain = false;
    this.codec = NO_CODEC;
    if (this.leavingGracefully) return;
    const gr = this.peerGracefulRestart;
    if (!this.stopped && keepRoutesOnDown(cause, gr) && gr) {
      this.staleFamilies = gr.families.map((f) => f.family).filter((f) => this.families.includes(f));
      this.log.info({ restartTime: gr.restartTimeSeconds, families: this.staleFamilies }, 'peer went away: keeping its routes as stale while it restarts');
      this.options.instance.peerDown(this.name, { graceful: true });
    } else {
      this.log.info({ cause }, 'session down');
      this.staleFamilies = [];
      this.options.instance.peerDown(this.name);
    }
  }

  private endOfRib(family: AddressFamily): void {
    this.staleFamilies = this.staleFamilies.filter((f) => f !== family);
    this.options.instance.endOfRib(this.name, family);
  }

  private localAddressOf(connection: Connection): Address {
    return parseAddress(canonicalAddress(connection.socket?.localAddress ?? '0.0.0.0'));
  }

  // ---- UPDATE handling (RFC 7606)

  private onUpdate(connection: Connection, update: UpdateMessage): void {
    const verdict = validateUpdate(update, this.updateContext);
    if (verdict.action === 'session-reset') {
      this.log.warn({ reason: verdict.reason }, 'malformed UPDATE: resetting the session');
      return connection.dispatch({ type: 'UpdateError', notification: verdict.notification });
    }
    connection.dispatch({ type: 'UpdateReceived' });
    const eor = endOfRibFamily(update);
    if (eor) {
      this.log.info({ family: eor }, 'End-of-RIB from peer');
      this.endOfRib(eor);
      this.options.observer?.endOfRib(this.name, eor);
      return;
    }
    const treatAsWithdraw = verdict.action === 'treat-as-withdraw';
    if (treatAsWithdraw) {
      this.status.treatAsWithdraw++;
      this.log.warn({ reason: verdict.reason }, 'malformed UPDATE: treating its routes as withdrawn');
    } else if (verdict.discarded.length > 0) {
      this.status.attributesDiscarded += verdict.discarded.length;
      this.log.info({ discarded: verdict.discarded.map((problem) => problem.detail) }, 'discarded malformed attributes');
    }
    const attributes = verdict.action === 'accept' ? verdict.attributes : update.attributes;
    const result = this.options.instance.receive(this.name, routeUpdate(update, { attributes, treatAsWithdraw }));
    this.status.prefixes.accepted += result.accepted;
    this.status.prefixes.rejected += result.rejected;
    this.status.prefixes.withdrawn += result.withdrawn;
    if (result.pauseMs) {
      this.status.readPauses++;
      connection.pauseReading(result.pauseMs);
    }
    if (result.cease) {
      const { afi, safi } = FAMILY_CODES[result.cease.family];
      this.log.warn({ reason: result.cease.reason }, 'import limit reached: ceasing the session');
      connection.dispatch({ type: 'UpdateError', notification: notifications.maxPrefixReached(afi, safi, result.cease.limit) });
    }
  }

  // ---- export to the peer

  private scheduleExport(): void {
    if (this.exportScheduled || this.waitingForDrain) return;
    this.exportScheduled = true;
    sessionTurns.request(this.exportBatch);
  }

  private readonly exportBatch = (): void => {
    this.exportScheduled = false;
    this.flushExport();
  };

  /**
   * Drains one batch of the Adj-RIB-Out diff into UPDATEs, then lets the
   * event loop turn before the next (or waits for the socket to drain). Not
   * all at once: exporting a full table to a peer that just came up took ~4 s
   * in which nothing was read, not even that peer's own full table
   * (bench/bgp/second-feeder.ts: both paths held after 8.7 s, 3.6 s now; the
   * 10-peer churn's load 10-18 s, 3 s now). Between batches what arrived is
   * read, and the batches shrink while it is taken in.
   */
  private flushExport(): void {
    const connection = this.primary;
    if (connection.state !== 'Established') return;
    const importing = this.options.instance.importing;
    const batch = this.options.instance.drainExport(this.name, { maxPrefixes: importing ? EXPORT_BATCH_WHILE_IMPORTING : EXPORT_BATCH_PREFIXES });
    if (!batch) return;
    const messages = encodeExport(batch, { families: this.families, codec: this.codec, tooLarge: this.reportTooLarge });
    this.status.sent.update += messages.length;
    // One write per batch: a write per UPDATE cost a quarter of the churn run in syscalls and write requests.
    const flowing = connection.write(messages.length === 1 ? messages[0]! : Buffer.concat(messages));
    if (flowing) return this.scheduleExport();
    this.waitingForDrain = true;
    connection.socket?.once('drain', () => {
      this.waitingForDrain = false;
      this.scheduleExport();
    });
  }

  private readonly reportTooLarge = ({ prefixes, octets }: TooLargeRoutes): void => {
    const first = formatPrefix(prefixes[0]!);
    this.log.warn({ prefixes: prefixes.length, first, octets }, 'route attributes too large for one UPDATE to this peer: withdrawn from it instead');
  };

  private send(connection: Connection, message: BgpMessage): boolean {
    this.status.sent[KIND_OF[message.type]!]++;
    return connection.write(encodeMessage(message, this.codec));
  }

  // ---- restarts

  private newConnection(direction: 'inbound' | 'outbound'): Connection {
    return new Connection(this, {
      config: this.fsmConfig,
      ...(this.options.passive ? {} : { dial: { host: this.address, port: this.options.port, ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}) } }),
      log: this.log,
      direction,
    });
  }

  /** Back off after failures: 1, 2, 4 ... seconds up to ConnectRetry; a passive peer listens again at once. */
  private scheduleRestart(): void {
    this.clearRestartTimer();
    const failures = this.primary.fsm.connectRetryCounter;
    const seconds = this.options.passive ? 0 : Math.min(this.options.connectRetrySeconds, 2 ** Math.min(Math.max(failures - 1, 0), 6));
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped && this.primary.state === 'Idle') this.primary.dispatch({ type: 'Start' });
    }, seconds * 1000);
  }

  private clearRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }
}
