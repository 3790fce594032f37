import { UserError } from '../../common/errors.js';
import { createLogger, type Logger } from '../../common/log.js';
import { turnClock } from '../../common/turn-clock.js';
import { addressBits, formatPrefix, parsePrefix, type Address, type Family, type Prefix } from '../../common/prefix.js';
import type { FibChange, FibRoute, FibSource } from '../fib.js';
import { ipv4Prefix } from '../packet/types.js';
import type { BogonLimits } from '../policy/bogon.js';
import { DecisionCounters } from '../policy/counters.js';
import { FlapDamping, type DampingParameters, type FlapEvent } from '../policy/damping.js';
import { exportReason, type RouteOrigin } from '../policy/export.js';
import { ImportPolicy, type Rejection } from '../policy/import.js';
import { maxPrefixReason } from '../policy/max-prefix.js';
import { UpdateRateLimit } from '../policy/update-rate.js';
import { RouteAuthorizations, type RouteAuthorization, type ValidationState } from '../policy/origin-validation.js';
import { AttributeStore } from './attribute-store.js';
import { RouteChangeLog, type RouteChange } from './change-log.js';
import type { RouteAttributes } from './attributes.js';
import { DEFAULT_LOCAL_PREF, selectBest, type Candidate, type RouteSource } from './decision.js';
import { ExportOutbox, type OutboxSource } from './export-outbox.js';
import { ExportSets } from './export-sets.js';
import { ImportedPrefix } from './imported-prefix.js';
import type {
  AddressFamily, ExportBatch, ImportResult, NegotiatedSession, PeerDownOptions, PeerSettings, Plane, RouteUpdate, RoutingInstance,
} from './instance.js';
import type { InstanceCounters, PathView, PeerCounters, RouteFilter, RoutePage, RouteQueries, RouteView } from './queries.js';
import { RouteMatcher } from './route-filter.js';
import { FamilyRib, LOCAL_PEER, type BestChangeListener, PATH_STALE, PATH_SUPPRESSED, PATH_VALIDATION_MASK, type DrainOptions } from './rib.js';

/**
 * The routing instance of one plane: sessions' Adj-RIBs-In, the Loc-RIB and
 * each session's Adj-RIB-Out, import and export policy, graceful-restart
 * bookkeeping, and the feed of best routes to the FIB. Everything a read
 * command asks for is a counter kept up to date, never a table walk.
 */

export interface PolicyEvent {
  readonly plane: Plane;
  readonly peer: string;
  readonly prefix: string;
  readonly direction: 'import' | 'export';
  readonly check: string;
  readonly reason: string;
  /** The experiment the peer is attached for, when it is a researcher's router. */
  readonly experiment?: string;
}

export interface RoutingInstanceOptions {
  readonly plane: Plane;
  readonly localAsn: number;
  /** Pools of this plane: nothing outside them is accepted or announced. */
  readonly pools: readonly Prefix[];
  /** Route authorizations of every plane; only this plane's are used. */
  readonly authorizations: readonly RouteAuthorization[];
  readonly bogons?: BogonLimits;
  /** How long the stale routes of a peer that came back wait for its End-of-RIB (default 360 s). */
  readonly stalePathSeconds?: number;
  /** Route flap damping (RFC 2439) of received routes, per peer and prefix; off when absent. */
  readonly damping?: DampingParameters;
  /** Every rejected route and every ceased session, and an experiment peer's accepted routes, for the experiment audit log. */
  readonly audit?: (event: PolicyEvent) => void;
  readonly initialCapacity?: number;
  /** Best-route changes kept for the looking glass (default 1000; 0 keeps none). */
  readonly changeLogSize?: number;
}

export type PlaneInstance = RoutingInstance & RouteQueries & FibSource & {
  /** Stops the instance's timers (restart timers, damping reuse checks) at daemon shutdown. */
  close(): void;
};

export function createRoutingInstance(options: RoutingInstanceOptions): PlaneInstance {
  return new Instance(options);
}

const FAMILIES: readonly Family[] = [4, 6];
const FAMILY_NAME: Record<Family, AddressFamily> = { 4: 'ipv4-unicast', 6: 'ipv6-unicast' };
const VALIDATION_CODE: Record<ValidationState, number> = { 'not-found': 0, valid: 1, invalid: 2 };
const VALIDATION_NAME: readonly ValidationState[] = ['not-found', 'valid', 'invalid'];
const DEFAULT_EXPORT_BATCH = 2048;
/**
 * How many pending Adj-RIB-Out changes are settled at once and grouped by
 * attribute set before the session takes them in batches: eight times the
 * old per-batch grouping, yet small enough to bound one drain's pause and the
 * outboxes' memory (131,072 peaked ~40 MiB higher over ten peers in one
 * churn bench run).
 */
const EXPORT_GROUPING_WINDOW = 32_768;
/**
 * A fill also stops at this many attribute sets: in a churn nearly every
 * change has a set of its own, and an outbox group costs a couple of hundred
 * bytes (ten peers' full windows of one-prefix groups were ~70 MiB).
 */
const EXPORT_GROUPS_PER_FILL = 2_048;
/** Changes settled per step of a fill, between checks of the limits above. */
const EXPORT_FILL_STEP = 1_024;
/**
 * Slots a page of ListRoutes looks at, at most, so that a filter that matches
 * little still ends its page soon. Routes are tested before any view is built
 * (route-filter.ts): on a full table a page that matches little costs ~6 ms of
 * CPU, where building the views of its 65,536 routes cost ~165 ms
 * (bench/bgp/list-routes.ts).
 */
const SCAN_PER_PAGE = 65_536;
/** What an absent packed list reads as. */
const NONE: readonly never[] = [];

/** What one UPDATE's import did, counted as it goes. */
class ImportTally {
  withdrawn = 0;
  accepted = 0;
  rejected = 0;
  valid = 0;
  notFound = 0;
  damped = 0;
  lastFamily: Family = 4;

  reset(): this {
    this.withdrawn = this.accepted = this.rejected = this.valid = this.notFound = this.damped = 0;
    this.lastFamily = 4;
    return this;
  }
}

/** An announced attribute set as the import loop checks its prefixes against it. */
interface ReceivedSet {
  readonly attributes: RouteAttributes;
  /** Its interned id, or -1 when its path was refused. */
  readonly attrId: number;
  readonly pathRejection: Rejection | null;
  readonly rules: { experimentAsn?: number };
}

/** How long after the last UPDATE the instance still counts as importing. */
const IMPORT_QUIET_MS = 20;
/** How often suppressed routes are checked for reuse. */
const REUSE_CHECK_MS = 10_000;

/** What one fill of a peer's outbox let through and refused (by reason), counted when the fill ends. */
interface ExportTally {
  accepted: number;
  readonly rejected: Map<string, number>;
}

interface PeerState {
  readonly index: number;
  settings: PeerSettings;
  session: NegotiatedSession | undefined;
  source: RouteSource;
  ebgp: boolean;
  up: boolean;
  onExportReady: () => void;
  /** A signal is on its way and no drain has happened since: one is enough. */
  signalled: boolean;
  readonly consumers: Map<Family, number>;
  readonly initialWalk: Set<Family>;
  /** Drained Adj-RIB-Out changes waiting for the session. */
  outbox: ExportOutbox;
  accepted: number;
  advertised: number;
  stale: number;
  readonly decisions: DecisionCounters;
  timer: NodeJS.Timeout | undefined;
  rateLimit: UpdateRateLimit | undefined;
  log: Logger;
}

class Instance implements PlaneInstance {
  readonly plane: Plane;
  private readonly store = new AttributeStore();
  private readonly exportSets = new ExportSets(this.store);
  private readonly ribs: Record<Family, FamilyRib>;
  private policy: ImportPolicy;
  private readonly peers = new Map<string, PeerState>();
  private readonly peersByIndex: (PeerState | undefined)[] = [];
  private readonly decisions = new DecisionCounters();
  /** The FIB's place in each RIB, made when something first reads the FIB: without one, changes are not kept for it. */
  private fibConsumers: Record<Family, number> | undefined;
  private fibListener: (() => void) | undefined;
  private readonly localSource: RouteSource;
  private readonly log: Logger;
  private readonly damping: FlapDamping | undefined;
  private readonly reuseTimer: NodeJS.Timeout | undefined;
  private readonly changes: RouteChangeLog;
  private lastImportAt = Number.NEGATIVE_INFINITY;
  /** Reused for every UPDATE: a full table is 200,000 of them. */
  private readonly tally = new ImportTally();
  private readonly importedPrefix = new ImportedPrefix();

  constructor(private readonly options: RoutingInstanceOptions) {
    this.plane = options.plane;
    this.log = createLogger('routing').child({ plane: options.plane });
    this.policy = this.importPolicy(options.authorizations);
    const choose = (rib: FamilyRib, paths: readonly number[]): number =>
      paths[selectBest(paths.map((p) => this.candidate(rib, p))).best]!;
    this.changes = new RouteChangeLog(options.changeLogSize ?? 1000, this.store, (owner) =>
      owner === LOCAL_PEER ? 'local' : (this.peersByIndex[owner]?.settings.name ?? ''),
    );
    this.ribs = {
      4: new FamilyRib(this.store, choose, { family: 4, initialCapacity: options.initialCapacity ?? 1024, onBestChange: this.changeLogger(4) }),
      6: new FamilyRib(this.store, choose, { family: 6, initialCapacity: 1024, onBestChange: this.changeLogger(6) }),
    };
    if (options.damping) {
      this.damping = new FlapDamping(options.damping);
      this.reuseTimer = setInterval(() => this.reuseDamped(), REUSE_CHECK_MS).unref();
    }
    this.localSource = { local: true, ebgp: false, routerId: 0, address: { family: 4, value: 0n } };
  }

  close(): void {
    if (this.reuseTimer) clearInterval(this.reuseTimer);
    for (const peer of this.peers.values()) this.clearTimer(peer);
  }

  // --- the peering layer's side -------------------------------------------------

  peerUp(settings: PeerSettings, options: { session: NegotiatedSession; onExportReady: () => void }): void {
    let peer = this.peers.get(settings.name);
    if (peer?.up) throw new Error(`peer ${settings.name} is already up in the ${this.plane} instance`);
    if (!peer) {
      const index = this.peersByIndex.length || 1;
      peer = {
        index, settings, session: undefined, source: this.localSource, ebgp: true, up: false, onExportReady: () => {}, signalled: false,
        consumers: new Map(), initialWalk: new Set(), outbox: new ExportOutbox(), accepted: 0, advertised: 0, stale: 0,
        decisions: new DecisionCounters(), timer: undefined, rateLimit: undefined, log: this.log,
      };
      this.peers.set(settings.name, peer);
      this.peersByIndex[index] = peer;
    }
    const { session } = options;
    peer.settings = settings;
    peer.session = session;
    peer.ebgp = settings.asn !== this.options.localAsn;
    peer.source = { local: false, ebgp: peer.ebgp, routerId: session.routerId, address: settings.address };
    peer.up = true;
    peer.onExportReady = options.onExportReady;
    peer.log = this.log.child({ peer: settings.name });
    const rate = settings.maxUpdateRate;
    peer.rateLimit = rate ? new UpdateRateLimit({ perSecond: rate, burst: Math.max(1, rate * 10) }) : undefined;
    this.clearTimer(peer);
    if (peer.stale > 0) {
      // The peer came back from a graceful restart: its old routes wait for End-of-RIB, but not forever.
      this.armStaleTimer(peer, this.options.stalePathSeconds ?? 360);
    }
    const state = peer;
    for (const name of session.families) {
      const family: Family = name === 'ipv4-unicast' ? 4 : 6;
      state.consumers.set(family, this.ribs[family].addConsumer(() => this.signalPeer(state), { release: (id) => this.exportSets.release(id), source: state.index }));
      state.initialWalk.add(family);
    }
    peer.log.info({ families: session.families, stale: peer.stale }, 'peer up');
  }

  peerDown(name: string, options: PeerDownOptions = {}): void {
    const peer = this.peers.get(name);
    if (!peer?.up) return;
    peer.up = false;
    for (const [family, consumer] of peer.consumers) this.ribs[family].removeConsumer(consumer);
    peer.consumers.clear();
    peer.initialWalk.clear();
    // Its slots may be freed now that the consumer is gone; the next session starts from a full walk anyway.
    peer.outbox = new ExportOutbox();
    peer.advertised = 0;
    this.clearTimer(peer);
    const restart = options.graceful ? peer.session?.gracefulRestart : undefined;
    if (!restart) {
      this.removePaths(peer, { families: FAMILIES, match: () => true });
      peer.log.info('peer down, routes removed');
      return;
    }
    for (const family of FAMILIES) {
      if (restart.preservedFamilies.includes(FAMILY_NAME[family])) peer.stale += this.ribs[family].flagPeer(peer.index, PATH_STALE);
      else this.removePaths(peer, { families: [family], match: () => true });
    }
    if (peer.stale > 0) this.armStaleTimer(peer, restart.restartTimeSeconds);
    peer.log.info({ stale: peer.stale, restartTimeSeconds: restart.restartTimeSeconds }, 'peer restarting, routes kept as stale');
  }

  get importing(): boolean {
    // Either way round: a clock stepped back must not leave the instance importing for as long.
    return Math.abs(Date.now() - this.lastImportAt) < IMPORT_QUIET_MS;
  }

  receive(name: string, update: RouteUpdate): ImportResult {
    this.lastImportAt = turnClock.time();
    const peer = this.upPeer(name);
    const tally = this.tally.reset();
    const at = this.importedPrefix;
    for (const prefix of update.withdrawn) this.importWithdrawal(peer, at.at(prefix), tally);
    for (const packed of update.withdrawnIpv4 ?? NONE) this.importWithdrawal(peer, at.atPacked(packed), tally);
    const rules = peer.settings.experiment !== undefined ? { experimentAsn: peer.settings.asn } : {};
    for (const group of update.announced) {
      const { attributes } = group;
      const pathRejection = this.policy.checkPath(attributes, peer.settings);
      const attrId = pathRejection ? -1 : this.store.intern(attributes, this.importRewrite(peer));
      const set = { attributes, attrId, pathRejection, rules };
      for (const prefix of group.prefixes) this.importAnnouncement(peer, at.at(prefix), set, tally);
      for (const packed of group.ipv4 ?? NONE) this.importAnnouncement(peer, at.atPacked(packed), set, tally);
      if (attrId >= 0) this.store.release(attrId);
    }
    const { accepted, rejected, withdrawn } = tally;
    this.count(peer, 'import:accepted', accepted);
    this.count(peer, 'import:withdrawn', withdrawn);
    this.count(peer, 'validation:valid', tally.valid);
    this.count(peer, 'validation:not-found', tally.notFound);
    this.count(peer, 'import:damped', tally.damped);
    const prefixes = withdrawn + accepted + rejected;
    const pauseMs = peer.rateLimit?.take(prefixes) ?? 0;
    if (pauseMs > 0) this.count(peer, 'import:throttled');
    const overLimit = this.maxPrefixReason(peer);
    if (!overLimit) return pauseMs > 0 ? { accepted, rejected, withdrawn, pauseMs } : { accepted, rejected, withdrawn };
    this.count(peer, 'cease:max-prefix');
    this.audit(peer, { prefix: '', direction: 'import', check: 'max-prefix', reason: overLimit });
    peer.log.warn({ limit: peer.settings.maxPrefixes }, `maximum prefixes reached: ${overLimit}`);
    return {
      accepted, rejected, withdrawn,
      cease: { subcode: 1, family: FAMILY_NAME[tally.lastFamily], limit: peer.settings.maxPrefixes!, reason: overLimit },
    };
  }

  private importWithdrawal(peer: PeerState, at: ImportedPrefix, tally: ImportTally): void {
    const rib = this.ribs[at.family];
    const flags = rib.removeAt(at.findIn(rib.index), peer.index);
    if (flags >= 0 && this.damping) this.damp(peer, { prefix: at.prefix, event: 'withdrawal' });
    this.forgetPath(peer, flags);
    tally.withdrawn++;
  }

  private importAnnouncement(peer: PeerState, at: ImportedPrefix, set: ReceivedSet, tally: ImportTally): void {
    const { attributes, attrId, pathRejection } = set;
    const rib = this.ribs[at.family];
    const verdict = pathRejection ? { validation: 'not-found' as const, rejection: pathRejection } : at.checkedBy(this.policy, attributes, set.rules);
    if (verdict.rejection) {
      // A rejected announcement still replaces what the peer sent before (an implicit withdrawal).
      this.forgetPath(peer, rib.removeAt(at.findIn(rib.index), peer.index));
      this.reject(peer, { prefix: at.prefix, direction: 'import', ...verdict.rejection });
      tally.rejected++;
      return;
    }
    let flags = VALIDATION_CODE[verdict.validation];
    if (this.damping && this.dampedAnnouncement(peer, { prefix: at.prefix, attrId, rib })) {
      flags |= PATH_SUPPRESSED;
      tally.damped++;
    }
    this.store.retain(attrId);
    const previous = rib.upsertAt(at.insertInto(rib.index), { peer: peer.index, attrId, flags });
    if (previous < 0) {
      peer.accepted++;
      // An experiment's log shows what got in, not only what was refused; its prefix limit keeps this small.
      if (peer.settings.experiment !== undefined) {
        const how = flags & PATH_SUPPRESSED ? ', held back by damping' : '';
        this.audit(peer, { prefix: formatPrefix(at.prefix), direction: 'import', check: 'accepted', reason: `${verdict.validation}${how}` });
      }
    } else if (previous & PATH_STALE) peer.stale--;
    if (verdict.validation === 'valid') tally.valid++;
    else tally.notFound++;
    tally.accepted++;
    tally.lastFamily = at.family;
  }

  endOfRib(name: string, family: AddressFamily): void {
    const peer = this.peers.get(name);
    if (!peer || peer.stale === 0) return;
    const removed = this.removePaths(peer, { families: [family === 'ipv4-unicast' ? 4 : 6], match: isStale });
    peer.log.info({ family, removed }, 'End-of-RIB: stale routes removed');
    if (peer.stale === 0) this.clearTimer(peer);
  }

  drainExport(name: string, options: { maxPrefixes?: number } = {}): ExportBatch | null {
    const peer = this.peers.get(name);
    if (!peer?.up || !peer.session) return null;
    peer.signalled = false;
    if (peer.outbox.empty) this.fillOutbox(peer, peer.session);
    return peer.outbox.take(options.maxPrefixes ?? DEFAULT_EXPORT_BATCH);
  }

  /** Settles up to EXPORT_GROUPING_WINDOW pending changes of the peer's Adj-RIB-Out into its outbox, grouped by attribute set. */
  private fillOutbox(peer: PeerState, session: NegotiatedSession): void {
    let emitted = 0;
    for (const [family, consumer] of peer.consumers) {
      if (emitted >= EXPORT_GROUPING_WINDOW) break;
      const rib = this.ribs[family];
      const nextHopSelf = nextHopFor(session, family);
      const target = nextHopSelf && { ebgp: peer.ebgp, localAsn: this.options.localAsn, nextHopSelf };
      const rules = target && { peer: this.exportSets.ruleId({ target, local: false }), local: this.exportSets.ruleId({ target, local: true }) };
      const source: OutboxSource = {
        family,
        attributes: (id) => this.exportSets.attributes(id),
        encoded: (id, key, encode) => this.exportSets.encoded(id, { key, encode }),
        prefixOf: (slot) => rib.index.prefixOf(slot),
        ipv4Of: (slot) => ipv4Prefix(rib.index.keyWord(slot, 0), rib.index.keyWord(slot, 1)),
      };
      // Tallied here and counted once per fill: a full table walked for its own sender is a million refusals.
      const exported = { accepted: 0, rejected: new Map<string, number>() };
      const step: DrainOptions = {
        max: EXPORT_FILL_STEP,
        desired: (slot) => this.exportedAttributes(slot, { peer, rib, rules, exported }),
        emit: (slot, previous, next) => {
          if (next < 0) peer.outbox.withdraw(slot, source);
          else peer.outbox.announce(next, slot, source);
          if (previous < 0 && next >= 0) peer.advertised++;
          if (previous >= 0 && next < 0) peer.advertised--;
          emitted++;
          return true;
        },
      };
      let pending = true;
      while (pending && emitted < EXPORT_GROUPING_WINDOW && peer.outbox.groupCount < EXPORT_GROUPS_PER_FILL) {
        const result = rib.drain(consumer, step);
        pending = result.pending;
        if (result.walkFinished && peer.initialWalk.delete(family)) peer.outbox.finishTable(FAMILY_NAME[family]);
      }
      if (exported.accepted > 0) peer.decisions.add('export:accepted', exported.accepted);
      for (const [reason, by] of exported.rejected) peer.decisions.add(`export:rejected:${reason}`, by);
      if (pending) break;
    }
  }

  refresh(name: string, family?: AddressFamily): void {
    const peer = this.upPeer(name);
    for (const [f, consumer] of peer.consumers) {
      if (family === undefined || FAMILY_NAME[f] === family) this.ribs[f].rewalk(consumer, { force: true });
    }
    this.count(peer, 'export:refresh');
  }

  updateAuthorizations(authorizations: readonly RouteAuthorization[]): { refreshFrom: string[] } {
    this.policy = this.importPolicy(authorizations);
    let dropped = 0;
    for (const family of FAMILIES) {
      const rib = this.ribs[family];
      dropped += rib.updatePaths((slot, p) => {
        const flags = rib.pathFlags[p]!;
        const owner = rib.pathPeer[p]!;
        const prefix = rib.index.prefixOf(slot);
        const verdict = this.policy.validate(prefix, this.store.get(rib.pathAttr[p]!));
        // Our own routes stay in the Loc-RIB; export checks their authorization on the way out.
        if (verdict.rejection && owner !== LOCAL_PEER) {
          const peer = this.peersByIndex[owner]!;
          this.forgetPath(peer, flags);
          this.reject(peer, { prefix, direction: 'import', ...verdict.rejection });
          return null;
        }
        return (flags & ~PATH_VALIDATION_MASK) | VALIDATION_CODE[verdict.validation];
      });
    }
    // Routes refused as invalid before may be valid now: only the peers still have them.
    const refreshFrom = [...this.peers.values()]
      .filter((p) => p.up && p.session?.routeRefresh && p.decisions.get('import:rejected:origin-validation') > 0)
      .map((p) => p.settings.name);
    this.log.info({ authorizations: this.policy.authorizations.size, dropped, refreshFrom }, 'route authorizations updated');
    return { refreshFrom };
  }

  // --- the FIB's side -----------------------------------------------------------

  onFibReady(listener: () => void): void {
    this.fibListener = listener;
    this.fibConsumer(4);
  }

  /** A consumer added late starts with a walk of the whole table, as the FIB needs. */
  private fibConsumer(family: Family): number {
    this.fibConsumers ??= {
      4: this.ribs[4].addConsumer(() => this.signalFib()),
      6: this.ribs[6].addConsumer(() => this.signalFib()),
    };
    return this.fibConsumers[family];
  }

  /** Deferred: the session must not be re-entered while the RIB is in the middle of a change. */
  private signalPeer(peer: PeerState): void {
    if (peer.signalled) return;
    peer.signalled = true;
    queueMicrotask(() => peer.up && peer.onExportReady());
  }

  /** Deferred, like the peers' signal: the feeder must not drain while the RIB is mid-change. */
  private signalFib(): void {
    queueMicrotask(() => this.fibListener?.());
  }

  drainFib(options: { maxChanges?: number } = {}): FibChange[] | null {
    const changes: FibChange[] = [];
    const max = options.maxChanges ?? DEFAULT_EXPORT_BATCH;
    for (const family of FAMILIES) {
      const rib = this.ribs[family];
      rib.drain(this.fibConsumer(family), {
        max: max - changes.length,
        desired: (slot) => this.fibAttributes(rib, slot),
        emit: (slot, previous, next) => {
          const prefix = rib.index.prefixOf(slot);
          if (next < 0) {
            changes.push({ kind: 'withdraw', prefix });
            return true;
          }
          const nextHop = this.store.nextHop(next);
          if (previous < 0) changes.push({ kind: 'add', prefix, nextHop });
          else if (sameAddress(this.store.nextHop(previous), nextHop)) return false;
          else changes.push({ kind: 'replace', prefix, nextHop });
          return true;
        },
      });
    }
    return changes.length > 0 ? changes : null;
  }

  fibSnapshot(): FibRoute[] {
    const routes: FibRoute[] = [];
    for (const family of FAMILIES) {
      const rib = this.ribs[family];
      // Catch the FIB's change queue up without emitting: the diff stream continues from this snapshot.
      while (rib.drain(this.fibConsumer(family), { max: 65_536, desired: (slot) => this.fibAttributes(rib, slot), emit: () => true }).pending);
      const limit = rib.index.slotLimit;
      for (let slot = 0; slot < limit; slot++) {
        const installed = rib.sent(this.fibConsumer(family), slot);
        if (installed >= 0) routes.push({ prefix: rib.index.prefixOf(slot), nextHop: this.store.nextHop(installed) });
      }
    }
    return routes;
  }

  /** What the FIB should hold for a slot: the best path's set (one reference taken), unless it is our own route. */
  private fibAttributes(rib: FamilyRib, slot: number): number {
    const p = rib.best[slot]!;
    if (p < 0 || rib.pathPeer[p] === LOCAL_PEER) return -1;
    this.store.retain(rib.pathAttr[p]!);
    return rib.pathAttr[p]!;
  }

  // --- the control API's side -----------------------------------------------------

  counters(): InstanceCounters {
    return {
      plane: this.plane,
      routes: { ipv4: this.ribs[4].routeCount, ipv6: this.ribs[6].routeCount },
      paths: this.ribs[4].pathCount + this.ribs[6].pathCount,
      attributeSets: this.store.size,
      bestRouteChanges: this.changes.recorded,
      decisions: this.decisions.snapshot(),
    };
  }

  peerCounters(name: string): PeerCounters | undefined {
    const peer = this.peers.get(name);
    if (!peer) return undefined;
    return {
      name, asn: peer.settings.asn, address: peer.settings.address, up: peer.up,
      accepted: peer.accepted, advertised: peer.advertised, stale: peer.stale, decisions: peer.decisions.snapshot(),
    };
  }

  recentChanges(options: { limit: number }): RouteChange[] {
    return this.changes.recent(options.limit);
  }

  allPeerCounters(): PeerCounters[] {
    return [...this.peers.keys()].map((name) => this.peerCounters(name)!);
  }

  listRoutes(options: { filter?: RouteFilter; after?: string; limit: number }): RoutePage {
    const filter = options.filter ?? {};
    const start = parseCursor(options.after);
    const owners = filter.peer === undefined ? undefined : this.ownersNamed(filter.peer);
    const matcher = new RouteMatcher(filter, { store: this.store, localAsn: this.options.localAsn, owners });
    const routes: RouteView[] = [];
    let scanned = 0;
    for (const family of FAMILIES) {
      if (family < start.family || (filter.family && filter.family !== family)) continue;
      const rib = this.ribs[family];
      const limit = rib.index.slotLimit;
      for (let slot = family === start.family ? start.slot : 0; slot < limit; slot++) {
        if (routes.length >= options.limit || scanned >= SCAN_PER_PAGE) return { routes, next: `${family}:${slot}` };
        scanned++;
        if (matcher.matches(rib, slot)) routes.push(this.routeView(rib, slot));
      }
    }
    return { routes };
  }

  lookup(query: { prefix: Prefix; orCovering?: boolean } | { address: Address }): RouteView | undefined {
    const { family, value } = 'prefix' in query ? query.prefix : query.address;
    const rib = this.ribs[family];
    const bits = addressBits(family);
    const longest = 'prefix' in query ? query.prefix.length : bits;
    const shortest = 'prefix' in query && !query.orCovering ? longest : 0;
    for (let length = longest; length >= shortest; length--) {
      const hostBits = BigInt(bits - length);
      const slot = rib.index.find({ family, value: (value >> hostBits) << hostBits, length });
      if (slot >= 0 && rib.head[slot]! >= 0) return this.routeView(rib, slot);
    }
    return undefined;
  }

  announceLocal(prefix: Prefix, options: { communities?: readonly number[]; largeCommunities?: readonly (readonly [number, number, number])[] } = {}): void {
    const attributes: RouteAttributes = {
      origin: 'igp',
      asPath: [],
      nextHop: { family: prefix.family, value: 0n },
      ...(options.communities?.length ? { communities: options.communities } : {}),
      ...(options.largeCommunities?.length ? { largeCommunities: options.largeCommunities } : {}),
    };
    const verdict = this.policy.checkPrefix(prefix, attributes);
    if (verdict.validation !== 'valid') {
      const why = verdict.rejection?.reason ?? `no route authorization for AS${this.options.localAsn}`;
      throw new UserError(`${formatPrefix(prefix)} cannot be announced in the ${this.plane} plane: ${why}`, {
        hint: `announce only prefixes the registry authorizes for AS${this.options.localAsn} in this plane`,
      });
    }
    this.ribs[prefix.family].upsert(prefix, { peer: LOCAL_PEER, attrId: this.store.intern(attributes), flags: VALIDATION_CODE.valid });
    this.decisions.add('local:announced');
    this.log.info({ prefix: formatPrefix(prefix) }, 'local prefix announced');
  }

  withdrawLocal(prefix: Prefix): boolean {
    const removed = this.ribs[prefix.family].remove(prefix, LOCAL_PEER) >= 0;
    if (removed) {
      this.decisions.add('local:withdrawn');
      this.log.info({ prefix: formatPrefix(prefix) }, 'local prefix withdrawn');
    }
    return removed;
  }

  // --- internals ----------------------------------------------------------------

  /**
   * Records a flap for an announcement (a changed path, or a route back after
   * a withdrawal) and says whether the route is to be held back.
   */
  private dampedAnnouncement(peer: PeerState, route: { prefix: Prefix; attrId: number; rib: FamilyRib }): boolean {
    const before = route.rib.pathFor(route.prefix, peer.index);
    if (before && before.attrId === route.attrId) return (before.flags & PATH_SUPPRESSED) !== 0;
    const key = dampingKey(peer, route.prefix);
    const event: FlapEvent | undefined = before ? 'attribute-change' : this.damping!.state(key).penalty > 0 ? 'readvertisement' : undefined;
    return event ? this.damp(peer, { prefix: route.prefix, event }) : false;
  }

  /** Records a flap; returns whether the route is now suppressed, telling the audit log when that starts. */
  private damp(peer: PeerState, flap: { prefix: Prefix; event: FlapEvent }): boolean {
    if (!this.damping) return false;
    const key = dampingKey(peer, flap.prefix);
    const wasSuppressed = this.damping.state(key).suppressed;
    const state = this.damping.record(key, flap.event);
    if (state.suppressed && !wasSuppressed) {
      this.count(peer, 'damping:suppressed');
      this.audit(peer, { prefix: formatPrefix(flap.prefix), direction: 'import', check: 'damping', reason: state.reason });
    }
    return state.suppressed;
  }

  /** Lets routes whose penalty has decayed take part in best-path selection again. */
  private reuseDamped(): void {
    for (const key of this.damping!.reusable()) {
      const [index, text] = key.split(' ');
      const peer = this.peersByIndex[Number(index)];
      if (!peer || !text) continue;
      const prefix = parsePrefix(text);
      const rib = this.ribs[prefix.family];
      const path = rib.pathFor(prefix, peer.index);
      if (path && path.flags & PATH_SUPPRESSED) {
        rib.setFlags(prefix, { peer: peer.index, flags: path.flags & ~PATH_SUPPRESSED });
        this.count(peer, 'damping:reused');
      }
    }
  }

  private importPolicy(authorizations: readonly RouteAuthorization[]): ImportPolicy {
    return new ImportPolicy({
      localAsn: this.options.localAsn,
      pools: this.options.pools,
      ...(this.options.bogons ? { bogons: this.options.bogons } : {}),
      authorizations: new RouteAuthorizations(this.options.plane, authorizations),
    });
  }

  /**
   * The prefix limit of a plain peer counts its own routes; an experiment's
   * counts every session of that experiment (a router on IPv4 and IPv6, or
   * several routers), so that more sessions do not multiply the limit.
   */
  private maxPrefixReason(peer: PeerState): string | null {
    const { experiment, maxPrefixes } = peer.settings;
    if (experiment === undefined) return maxPrefixReason(peer.accepted, maxPrefixes);
    let accepted = 0;
    for (const other of this.peers.values()) if (other.settings.experiment === experiment) accepted += other.accepted;
    const reason = maxPrefixReason(accepted, maxPrefixes);
    return reason && `${reason} of experiment ${experiment}`;
  }

  private upPeer(name: string): PeerState {
    const peer = this.peers.get(name);
    if (!peer?.up) throw new Error(`peer ${name} is not up in the ${this.plane} instance`);
    return peer;
  }

  /**
   * Records the best-route changes of one family's RIB in the change log. The
   * changes of one turn share its time: a clock read per change was 2% of a
   * full-table ingest.
   */
  private changeLogger(family: Family): BestChangeListener {
    return (slot, { before, after }) => {
      const rib = this.ribs[family];
      const owner = rib.pathPeer[after >= 0 ? after : before]!;
      this.changes.record(rib.index, slot, owner, after >= 0 ? rib.pathAttr[after]! : -1, turnClock.time());
    };
  }

  /** LOCAL_PREF from an eBGP peer means nothing to us (RFC 4271 §5.1.5): ours replaces it as the set is stored. */
  private importRewrite(peer: PeerState): { localPref?: number } {
    return peer.ebgp ? { localPref: peer.settings.importLocalPref ?? DEFAULT_LOCAL_PREF } : {};
  }

  private candidate(rib: FamilyRib, path: number): Candidate {
    const owner = rib.pathPeer[path]!;
    const source = owner === LOCAL_PEER ? this.localSource : this.peersByIndex[owner]!.source;
    return { attributes: this.store.decisionAttributes(rib.pathAttr[path]!), source };
  }

  /**
   * The outgoing attribute set for `slot` to the peer (one reference taken),
   * or -1 if export policy says no. `rules` are the peer's export rules for
   * the family, absent when we have no next hop of that family to give.
   */
  private exportedAttributes(
    slot: number,
    context: { peer: PeerState; rib: FamilyRib; rules: { peer: number; local: number } | undefined; exported: ExportTally },
  ): number {
    const { peer, rib } = context;
    const p = rib.best[slot]!;
    if (p < 0) return -1;
    const owner = rib.pathPeer[p]!;
    const attrId = rib.pathAttr[p]!;
    let origin: RouteOrigin;
    if (owner === LOCAL_PEER) {
      // Authorizations can change after the announcement: check again on the way out.
      origin = { kind: 'local', authorized: this.policy.validate(rib.index.prefixOf(slot), this.store.get(attrId)).validation === 'valid' };
    } else {
      const source = this.peersByIndex[owner]!;
      origin = { kind: 'peer', peer: source.settings.name, ebgp: source.ebgp };
    }
    const reason = exportReason(origin, { name: peer.settings.name, ebgp: peer.ebgp }) ?? (context.rules ? null : 'no local address of this family on the session');
    if (reason) {
      context.exported.rejected.set(reason, (context.exported.rejected.get(reason) ?? 0) + 1);
      if (origin.kind === 'local') this.reject(peer, { prefix: rib.index.prefixOf(slot), direction: 'export', check: 'export', reason });
      return -1;
    }
    context.exported.accepted++;
    return this.exportSets.export(attrId, owner === LOCAL_PEER ? context.rules!.local : context.rules!.peer);
  }

  /** The path owners a peer name stands for in a route view: "local" is our own routes, any other name its peer's. */
  private ownersNamed(name: string): number[] {
    const owners = name === 'local' ? [LOCAL_PEER] : [];
    const peer = this.peers.get(name);
    if (peer) owners.push(peer.index);
    return owners;
  }

  private routeView(rib: FamilyRib, slot: number): RouteView {
    const best = rib.best[slot]!;
    const paths = rib.pathsOf(slot).sort((a, b) => (a === best ? -1 : b === best ? 1 : 0));
    const views: PathView[] = paths.map((p) => {
      const owner = rib.pathPeer[p]!;
      return {
        peer: owner === LOCAL_PEER ? 'local' : this.peersByIndex[owner]!.settings.name,
        attributes: this.store.get(rib.pathAttr[p]!),
        validation: VALIDATION_NAME[rib.pathFlags[p]! & PATH_VALIDATION_MASK]!,
        stale: (rib.pathFlags[p]! & PATH_STALE) !== 0,
        suppressed: (rib.pathFlags[p]! & PATH_SUPPRESSED) !== 0,
        best: p === best,
      };
    });
    const decidedBy = paths.length > 1 ? selectBest(paths.map((p) => this.candidate(rib, p))).step : 'only-route';
    return { prefix: rib.index.prefixOf(slot), paths: views, decidedBy };
  }

  /** Removes the peer's paths whose flags match, keeping its counters right; returns how many. */
  private removePaths(peer: PeerState, options: { families: readonly Family[]; match: (flags: number) => boolean }): number {
    const { families, match } = options;
    let removed = 0;
    for (const family of families) {
      const rib = this.ribs[family];
      let stale = 0;
      const n = rib.removeWhere((p) => {
        if (rib.pathPeer[p] !== peer.index || !match(rib.pathFlags[p]!)) return false;
        if (rib.pathFlags[p]! & PATH_STALE) stale++;
        return true;
      });
      peer.accepted -= n;
      peer.stale -= stale;
      removed += n;
    }
    return removed;
  }

  /** Counts a path gone from the peer's Adj-RIB-In, given the flags it had (-1: there was none). */
  private forgetPath(peer: PeerState, flags: number): void {
    if (flags < 0) return;
    peer.accepted--;
    if (flags & PATH_STALE) peer.stale--;
  }

  private reject(peer: PeerState, event: { prefix: Prefix; direction: 'import' | 'export'; check: Rejection['check'] | 'export'; reason: string }): void {
    this.count(peer, `${event.direction}:rejected:${event.check}`);
    const prefix = formatPrefix(event.prefix);
    peer.log.debug({ prefix, check: event.check }, event.reason);
    this.audit(peer, { ...event, prefix });
  }

  private audit(peer: PeerState, event: Pick<PolicyEvent, 'prefix' | 'direction' | 'check' | 'reason'>): void {
    const { experiment } = peer.settings;
    this.options.audit?.({ ...event, plane: this.plane, peer: peer.settings.name, ...(experiment !== undefined ? { experiment } : {}) });
  }

  /** Counts `by` decisions of one outcome for the peer and the instance; a count of 0 makes no entry. */
  private count(peer: PeerState, outcome: string, by = 1): void {
    if (by === 0) return;
    peer.decisions.add(outcome, by);
    this.decisions.add(outcome, by);
  }

  private armStaleTimer(peer: PeerState, seconds: number): void {
    this.clearTimer(peer);
    peer.timer = setTimeout(() => {
      peer.timer = undefined;
      const removed = this.removePaths(peer, { families: FAMILIES, match: isStale });
      peer.log.warn({ removed }, 'restart timer expired: stale routes removed');
    }, seconds * 1000);
    peer.timer.unref();
  }

  private clearTimer(peer: PeerState): void {
    if (peer.timer) clearTimeout(peer.timer);
    peer.timer = undefined;
  }
}

function dampingKey(peer: PeerState, prefix: Prefix): string {
  return `${peer.index} ${formatPrefix(prefix)}`;
}

function isStale(flags: number): boolean {
  return (flags & PATH_STALE) !== 0;
}

function nextHopFor(session: NegotiatedSession, family: Family): Address | undefined {
  if (session.localAddress.family === family) return session.localAddress;
  return family === 6 ? session.localAddressIpv6 : undefined;
}

function sameAddress(a: Address, b: Address): boolean {
  return a.family === b.family && a.value === b.value;
}

function parseCursor(after: string | undefined): { family: Family; slot: number } {
  if (!after) return { family: 4, slot: 0 };
  const match = /^([46]):(\d+)$/.exec(after);
  if (!match) throw new UserError(`page token "${after}" is not one this daemon handed out`, { hint: 'start again without a page token' });
  return { family: Number(match[1]) as Family, slot: Number(match[2]) };
}
