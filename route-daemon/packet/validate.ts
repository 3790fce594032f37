import { attributeName } from './attributes.js';
import { openAsn } from './capabilities.js';
import { decodeMessage } from './codec.js';
import { Afi, AS_TRANS, AsSegmentType, AttributeType, ErrorCode, MessageError, MessageType, OpenSubcode, UpdateSubcode } from './types.js';
import type {
  AttributeProblem,
  CodecOptions,
  KeepaliveMessage,
  NotificationFields,
  NotificationMessage,
  OpenMessage,
  OpenVerdict,
  PathAttributes,
  RouteRefreshMessage,
  UpdateMessage,
  UpdateVerdict,
} from './types.js';

/**
 * What to do with a received message, per RFC 4271 §6 as revised by RFC 7606
 * (and RFC 4760, 6793, 7607, 8092 for their attributes). Kept apart from parsing:
 * the parser states facts (AttributeProblems), this module picks the outcome.
 *
 * Choices where the RFCs leave room:
 * - A duplicate attribute keeps the first occurrence (RFC 7606 §3 g), except
 *   MP_REACH/MP_UNREACH duplicates, which reset with Malformed Attribute List.
 * - An unrecognized well-known attribute resets with subcode 2 (RFC 4271 §6.3;
 *   RFC 7606 does not revise it).
 * - A missing mandatory attribute is treat-as-withdraw (RFC 7606 §3 d) and only
 *   checked when the UPDATE carries reachable NLRI.
 * - Flag errors take the attribute's own malformed handling (RFC 7606 §3 c, with
 *   the per-attribute rules of §7): withdraw for most, discard for ATOMIC_AGGREGATE,
 *   AGGREGATOR and AS4_*, reset for MP_REACH/MP_UNREACH.
 * - MP_REACH/MP_UNREACH for a family that was not negotiated is ignored.
 */

export interface UpdateContext {
  /** The peer is in another AS (eBGP). */
  readonly external: boolean;
  /** For an external peer: the AS its AS_PATH must start with (RFC 4271 §6.3). */
  readonly peerAs?: number;
}

type Action = 'discard' | 'withdraw' | 'reset';

interface Finding {
  readonly action: Action;
  readonly reason: string;
  readonly problem: AttributeProblem;
  readonly notification?: NotificationFields;
}

const DISCARD_WHEN_MALFORMED: ReadonlySet<number> = new Set([
  AttributeType.AtomicAggregate,
  AttributeType.Aggregator,
  AttributeType.As4Path,
  AttributeType.As4Aggregator,
]);

function isMp(typeCode: number): boolean {
  return typeCode === AttributeType.MpReachNlri || typeCode === AttributeType.MpUnreachNlri;
}

function updateNotification(subcode: number, data: Buffer = Buffer.alloc(0)): NotificationFields {
  return { code: ErrorCode.UpdateMessage, subcode, data };
}

function judge(problem: AttributeProblem, context: UpdateContext): Finding {
  const reason = problem.detail;
  const { typeCode } = problem;
  switch (problem.kind) {
    case 'duplicate':
      return isMp(typeCode)
        ? { action: 'reset', reason, problem, notification: updateNotification(UpdateSubcode.MalformedAttributeList) }
        : { action: 'discard', reason, problem };
    case 'unrecognized-well-known':
      return { action: 'reset', reason, problem, notification: updateNotification(UpdateSubcode.UnrecognizedWellKnownAttribute, problem.raw) };
    case 'unsupported-family':
      return { action: 'discard', reason, problem };
    case 'flags':
    case 'length':
    case 'value':
      // RFC 7606 §7.11/§7.12: without a parsed MP attribute its NLRI cannot be withdrawn.
      if (isMp(typeCode)) {
        return { action: 'reset', reason, problem, notification: updateNotification(UpdateSubcode.OptionalAttributeError, problem.raw) };
      }
      if (DISCARD_WHEN_MALFORMED.has(typeCode)) return { action: 'discard', reason, problem };
      if (typeCode === AttributeType.LocalPref && context.external) return { action: 'discard', reason, problem };
      return { action: 'withdraw', reason, problem };
  }
}

/**
 * RFC 4271 §6.3 "semantically incorrect" IPv4 next hops: "this network", multicast,
 * reserved and broadcast. Loopback stays allowed, as BIRD allows it: sessions over
 * 127.0.0.0/8 are how speakers are tested on one machine (GoBGP 3.10 refuses it).
 */
function badIpv4NextHop(address: number): boolean {
  const first = address >>> 24;
  return first === 0 || first >= 224;
}

/** Unspecified (::) or multicast (ff00::/8). */
function badIpv6NextHop(address: bigint): boolean {
  return address === 0n || address >> 120n === 0xffn;
}

function synthetic(typeCode: number, detail: string): AttributeProblem {
  return { kind: 'value', typeCode, raw: Buffer.alloc(0), detail };
}

function hasProblem(update: UpdateMessage, typeCode: number): boolean {
  return update.problems.some((p) => p.typeCode === typeCode);
}

function mandatoryPresent(a: PathAttributes, typeCode: number): boolean {
  if (typeCode === AttributeType.Origin) return a.origin !== null;
  if (typeCode === AttributeType.AsPath) return a.asPath !== null;
  return a.nextHop !== null;
}

/** Checks beyond the syntax of single attributes; appends to `findings`. */
function addSemanticFindings(update: UpdateMessage, context: UpdateContext, findings: Finding[]): void {
  const a = update.attributes;
  const withdraw = (typeCode: number, detail: string): void => {
    findings.push({ action: 'withdraw', reason: detail, problem: synthetic(typeCode, detail) });
  };
  if (context.external && a.localPref !== null) {
    const detail = 'LOCAL_PREF from an external peer is ignored';
    findings.push({ action: 'discard', reason: detail, problem: synthetic(AttributeType.LocalPref, detail) });
  }
  const reachable = update.nlri.length > 0 || (a.mpReach !== null && a.mpReach.prefixes.length > 0);
  if (!reachable) return;
  for (const typeCode of MANDATORY) {
    if (typeCode === AttributeType.NextHop && update.nlri.length === 0) continue;
    if (!mandatoryPresent(a, typeCode) && !hasProblem(update, typeCode)) withdraw(typeCode, `mandatory ${attributeName(typeCode)} is missing`);
  }
  if (update.nlri.length > 0 && a.nextHop !== null && badIpv4NextHop(a.nextHop)) {
    withdraw(AttributeType.NextHop, `NEXT_HOP ${formatIpv4(a.nextHop)} is not a usable host address`);
  }
  if (a.mpReach !== null) {
    const bad = a.mpReach.afi === Afi.Ipv4 ? badIpv4NextHop(a.mpReach.nextHop) : badIpv6NextHop(a.mpReach.nextHop);
    if (bad) withdraw(AttributeType.MpReachNlri, 'MP_REACH_NLRI next hop is not a usable host address');
  }
  if (context.external && a.asPath !== null) {
    if (a.asPath.some((s) => s.type === AsSegmentType.ConfedSequence || s.type === AsSegmentType.ConfedSet)) {
      withdraw(AttributeType.AsPath, 'AS_PATH from an external peer contains a confederation segment');
    } else if (context.peerAs !== undefined) {
      const first = a.asPath[0];
      if (first === undefined || first.type !== AsSegmentType.AsSequence || first.asns[0] !== context.peerAs) {
        withdraw(AttributeType.AsPath, `AS_PATH does not start with the peer's AS ${context.peerAs}`);
      }
    }
  }
}

const MANDATORY = [AttributeType.Origin, AttributeType.AsPath, AttributeType.NextHop];
const NOTHING_DISCARDED: readonly AttributeProblem[] = [];

function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((s) => (address >>> s) & 0xff).join('.');
}

/** The outcome for a decoded UPDATE: the most severe of its findings (RFC 7606 §3 h). */
export function validateUpdate(update: UpdateMessage, context: UpdateContext): UpdateVerdict {
  const findings: Finding[] = [];
  for (const problem of update.problems) findings.push(judge(problem, context));
  addSemanticFindings(update, context, findings);
  if (findings.length === 0) return { action: 'accept', attributes: update.attributes, discarded: NOTHING_DISCARDED };
  const reset = findings.find((f) => f.action === 'reset');
  if (reset !== undefined) {
    return { action: 'session-reset', notification: reset.notification ?? updateNotification(UpdateSubcode.MalformedAttributeList), reason: reset.reason };
  }
  const withdrawals = findings.filter((f) => f.action === 'withdraw');
  if (withdrawals.length > 0) {
    return { action: 'treat-as-withdraw', problems: withdrawals.map((f) => f.problem), reason: withdrawals[0]!.reason };
  }
  const discarded = findings.map((f) => f.problem);
  const dropLocalPref = context.external && update.attributes.localPref !== null;
  const attributes: PathAttributes = dropLocalPref ? { ...update.attributes, localPref: null } : update.attributes;
  return { action: 'accept', attributes, discarded };
}

export interface OpenContext {
  /** The AS the peer is configured with (four-octet value); any AS if absent. */
  readonly peerAs?: number;
  /** Our own AS and BGP identifier: an internal peer may not use our identifier (RFC 6286). */
  readonly localAs?: number;
  readonly localBgpId?: number;
}

function openReset(subcode: number, reason: string): OpenVerdict {
  return { action: 'session-reset', notification: { code: ErrorCode.OpenMessage, subcode, data: Buffer.alloc(0) }, reason };
}

/** The outcome for a decoded OPEN (RFC 4271 §6.2, RFC 6286, RFC 6793, RFC 7607). */
export function validateOpen(open: OpenMessage, context: OpenContext): OpenVerdict {
  const asn = openAsn(open);
  if (open.myAs === 0 || asn === 0) return openReset(OpenSubcode.BadPeerAs, 'peer AS is 0');
  if (asn === AS_TRANS && open.capabilities.some((c) => c.kind === 'four-octet-as')) {
    return openReset(OpenSubcode.BadPeerAs, 'four-octet AS capability carries AS_TRANS');
  }
  if (context.peerAs !== undefined && asn !== context.peerAs) {
    return openReset(OpenSubcode.BadPeerAs, `peer AS is ${asn}, configured ${context.peerAs}`);
  }
  if (open.holdTime === 1 || open.holdTime === 2) {
    return openReset(OpenSubcode.UnacceptableHoldTime, `hold time ${open.holdTime} s is neither 0 nor at least 3`);
  }
  if (open.bgpId === 0) return openReset(OpenSubcode.BadBgpIdentifier, 'BGP identifier is 0.0.0.0');
  if (context.localBgpId !== undefined && asn === context.localAs && open.bgpId === context.localBgpId) {
    return openReset(OpenSubcode.BadBgpIdentifier, `internal peer uses our BGP identifier ${formatIpv4(open.bgpId)}`);
  }
  return { action: 'accept' };
}

export type CheckedMessage =
  | { readonly kind: 'update'; readonly message: UpdateMessage; readonly verdict: UpdateVerdict }
  | { readonly kind: 'open'; readonly message: OpenMessage; readonly verdict: OpenVerdict }
  | { readonly kind: 'message'; readonly message: NotificationMessage | KeepaliveMessage | RouteRefreshMessage }
  /** Could not be decoded: send `notification` and reset. */
  | { readonly kind: 'malformed'; readonly notification: NotificationFields; readonly reason: string };

export interface CheckOptions {
  readonly codec: CodecOptions;
  readonly update: UpdateContext;
  readonly open: OpenContext;
}

/** Decodes and validates one whole message; every outcome is data, nothing is thrown. */
export function checkMessage(message: Buffer, options: CheckOptions): CheckedMessage {
  let decoded;
  try {
    decoded = decodeMessage(message, options.codec);
  } catch (error) {
    if (error instanceof MessageError) return { kind: 'malformed', notification: error.notification, reason: error.message };
    throw error;
  }
  switch (decoded.type) {
    case MessageType.Update:
      return { kind: 'update', message: decoded, verdict: validateUpdate(decoded, options.update) };
    case MessageType.Open:
      return { kind: 'open', message: decoded, verdict: validateOpen(decoded, options.open) };
    default:
      return { kind: 'message', message: decoded };
  }
}
