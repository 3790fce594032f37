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
import { gracefulRestartOf, hasCapability, offeredFamilies, openAsn } from '../packet/capabilities.js';
import { validateOpen } from '../packet/validate.js';
import type { Notification } from './errors.js';

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
 * Checks a peer's OPEN against what we expect of it (the codec's RFC 4271
 * §6.2 checks with the configured peer AS) and settles the session's
 * capabilities: families are those both sides offered.
 */
export function negotiate(open: OpenMessage, expected: { readonly local: LocalSpeaker; readonly peerAsn: number }): OpenOutcome {
  const { local } = expected;
  const verdict = validateOpen(open, { peerAs: expected.peerAsn, localAs: local.asn, localBgpId: local.routerId });
  if (verdict.action === 'session-reset') return { ok: false, notification: verdict.notification, reason: verdict.reason };
  const offered = new Set(offeredFamilies(open).map((f) => familyName(f.afi, f.safi)));
  const gr = gracefulRestartOf(open);
  const gracefulRestart: PeerGracefulRestart | undefined = gr ? {
    restartTimeSeconds: gr.restartTime,
    restarting: gr.restarting,
    families: gr.families.flatMap((f) => {
      const family = familyName(f.afi, f.safi);
      return family ? [{ family, forwarding: f.forwarding }] : [];
    }),
  } : undefined;
  return {
    ok: true,
    negotiated: {
      peerAsn: openAsn(open),
      peerId: open.bgpId,
      peerHoldTime: open.holdTime,
      fourOctetAs: hasCapability(open, 'four-octet-as'),
      families: local.families.filter((f) => offered.has(f)),
      routeRefresh: hasCapability(open, 'route-refresh'),
      ...(gracefulRestart ? { gracefulRestart } : {}),
    },
  };
}
