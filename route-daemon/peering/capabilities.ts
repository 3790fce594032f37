import { formatAddress } from '../../common/prefix.js';
import type { AddressFamily as FamilyName } from '../routing/instance.js';
import {
  AS_TRANS,
  Afi,
  BGP_VERSION,
  MessageType,
  Safi,
  type AddressFamily,
  type Capability,
  type OpenMessage,
} from '../packet/types.js';
import { notifications, type Notification } from './errors.js';
import { isAcceptableHoldTime } from './timers.js';

/**
 * What we announce in our OPEN and what the two OPENs settle between them
 * (RFC 5492 capabilities): address families (RFC 4760), four-octet AS
 * (RFC 6793), route refresh (RFC 2918) and graceful restart (RFC 4724).
 */

export const FAMILY_CODES: Readonly<Record<FamilyName, AddressFamily>> = {
  'ipv4-unicast': { afi: Afi.Ipv4, safi: Safi.Unicast },
  'ipv6-unicast': { afi: Afi.Ipv6, safi: Safi.Unicast },
};

export function familyName(afi: number, safi: number): FamilyName | undefined {
  if (safi !== Safi.Unicast) return undefined;
  return afi === Afi.Ipv4 ? 'ipv4-unicast' : afi === Afi.Ipv6 ? 'ipv6-unicast' : undefined;
}

export interface LocalGracefulRestart {
  /** Seconds the peer should wait for us to come back (12 bits). */
  readonly restartTimeSeconds: number;
  /** R bit: we have just restarted and the peer should keep our routes until our End-of-RIB. */
  readonly restarting: boolean;
  /** F bit: our forwarding state (kernel routes) survived the restart. */
  readonly forwardingPreserved: boolean;
}

export interface LocalSpeaker {
  readonly asn: number;
  /** Our BGP identifier as an unsigned 32-bit number. */
  readonly routerId: number;
  readonly holdTimeSeconds: number;
  readonly families: readonly FamilyName[];
  /** Absent: we do not offer graceful restart. */
  readonly gracefulRestart?: LocalGracefulRestart;
}

export function localCapabilities(local: LocalSpeaker): Capability[] {
  const caps: Capability[] = local.families.map((f) => ({ kind: 'multiprotocol', ...FAMILY_CODES[f] }));
  caps.push({ kind: 'route-refresh' }, { kind: 'four-octet-as', asn: local.asn });
  const gr = local.gracefulRestart;
  if (gr) {
    caps.push({
      kind: 'graceful-restart',
      restarting: gr.restarting,
      notification: false,
      restartTime: Math.min(gr.restartTimeSeconds, 0xfff),
      families: local.families.map((f) => ({ ...FAMILY_CODES[f], forwarding: gr.forwardingPreserved })),
    });
  }
  return caps;
}

export function localOpen(local: LocalSpeaker): OpenMessage {
  return {
    type: MessageType.Open,
    version: BGP_VERSION,
    myAs: local.asn > 0xffff ? AS_TRANS : local.asn,
    holdTime: local.holdTimeSeconds,
    bgpId: local.routerId,
    capabilities: localCapabilities(local),
  };
}

export interface PeerGracefulRestart {
  readonly restartTimeSeconds: number;
  /** The peer has just restarted (R bit). */
  readonly restarting: boolean;
  /** Families the peer can restart for, and whether it kept forwarding for each (F bit). */
  readonly families: readonly { readonly family: FamilyName; readonly forwarding: boolean }[];
}

export interface Negotiated {
  readonly peerAsn: number;
  readonly peerId: number;
  /** The hold time the peer proposed (the FSM takes the smaller one). */
  readonly peerHoldTime: number;
  readonly fourOctetAs: boolean;
  /** Families both sides announced; only these may appear in UPDATEs. */
  readonly families: readonly FamilyName[];
  readonly routeRefresh: boolean;
  readonly gracefulRestart?: PeerGracefulRestart;
}

export type OpenOutcome =
  | { readonly ok: true; readonly negotiated: Negotiated }
  | { readonly ok: false; readonly notification: Notification; readonly reason: string };

/**
 * Checks a peer's OPEN against what we expect of it (RFC 4271 §6.2) and
 * settles the session's capabilities. A peer without any multiprotocol
 * capability speaks IPv4 unicast only (RFC 4760 §8).
 */
export function negotiate(open: OpenMessage, expected: { readonly local: LocalSpeaker; readonly peerAsn: number }): OpenOutcome {
  const { local } = expected;
  if (open.version !== BGP_VERSION) {
    return { ok: false, notification: notifications.unsupportedVersion(), reason: `peer speaks BGP version ${open.version}, we speak 4` };
  }
  const fourOctet = open.capabilities.find((c) => c.kind === 'four-octet-as');
  const peerAsn = fourOctet ? fourOctet.asn : open.myAs;
  if (peerAsn !== expected.peerAsn) {
    return { ok: false, notification: notifications.badPeerAs(), reason: `peer says it is AS${peerAsn}, configured AS${expected.peerAsn}` };
  }
  const iBgp = peerAsn === local.asn;
  if (open.bgpId === 0 || (iBgp && open.bgpId === local.routerId)) {
    return { ok: false, notification: notifications.badBgpIdentifier(), reason: `peer BGP identifier ${formatAddress({ family: 4, value: BigInt(open.bgpId) })} is not usable` };
  }
  if (!isAcceptableHoldTime(open.holdTime)) {
    return { ok: false, notification: notifications.unacceptableHoldTime(), reason: `peer hold time ${open.holdTime}s is neither 0 nor at least 3` };
  }
  const announced = new Set<FamilyName>();
  let sawMultiprotocol = false;
  for (const cap of open.capabilities) {
    if (cap.kind !== 'multiprotocol') continue;
    sawMultiprotocol = true;
    const name = familyName(cap.afi, cap.safi);
    if (name) announced.add(name);
  }
  if (!sawMultiprotocol) announced.add('ipv4-unicast');
  const families = local.families.filter((f) => announced.has(f));
  const gr = open.capabilities.find((c) => c.kind === 'graceful-restart');
  const gracefulRestart: PeerGracefulRestart | undefined = gr && {
    restartTimeSeconds: gr.restartTime,
    restarting: gr.restarting,
    families: gr.families.flatMap((f) => {
      const family = familyName(f.afi, f.safi);
      return family ? [{ family, forwarding: f.forwarding }] : [];
    }),
  };
  return {
    ok: true,
    negotiated: {
      peerAsn,
      peerId: open.bgpId,
      peerHoldTime: open.holdTime,
      fourOctetAs: fourOctet !== undefined,
      families,
      routeRefresh: open.capabilities.some((c) => c.kind === 'route-refresh'),
      ...(gracefulRestart ? { gracefulRestart } : {}),
    },
  };
}
