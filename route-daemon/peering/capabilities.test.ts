import { describe, expect, it } from 'vitest';
import { AS_TRANS, ErrorCode, MessageType, OpenSubcode, type Capability, type OpenMessage } from '../packet/types.js';
import { localOpen, negotiate, type LocalSpeaker } from './capabilities.js';


const local: LocalSpeaker = { asn: 4200000001, routerId: 0x0a000001, holdTimeSeconds: 9, families: ['ipv4-unicast', 'ipv6-unicast'] };

function open(fields: Partial<OpenMessage> & { capabilities?: Capability[] }): OpenMessage {
  return { type: MessageType.Open, version: 4, myAs: AS_TRANS, holdTime: 90, bgpId: 0x0a000002, capabilities: [{ kind: 'four-octet-as', asn: 4200000002 }], ...fields };
}

describe('our OPEN', () => {
  it('puts AS_TRANS in the two-octet field for a four-octet ASN and the real one in the capability', () => {
    const o = localOpen(local);
    expect(o.myAs).toBe(AS_TRANS);
    expect(o.capabilities).toContainEqual({ kind: 'four-octet-as', asn: 4200000001 });
    expect(o.capabilities).toContainEqual({ kind: 'multiprotocol', afi: 2, safi: 1 });
    expect(o.capabilities).toContainEqual({ kind: 'route-refresh' });
  });
  it('a two-octet ASN goes in the field as it is', () => {
    expect(localOpen({ ...local, asn: 65001 }).myAs).toBe(65001);
  });
  it('after a restart it sets the R bit and the F bit for every family (RFC 4724)', () => {
    const o = localOpen({ ...local, gracefulRestart: { restartTimeSeconds: 120, restarting: true, forwardingPreserved: true } });
    expect(o.capabilities).toContainEqual({
      kind: 'graceful-restart', restarting: true, notification: false, restartTime: 120,
      families: [{ afi: 1, safi: 1, forwarding: true }, { afi: 2, safi: 1, forwarding: true }],
    });
  });
  it('offers no graceful restart unless configured', () => {
    expect(localOpen(local).capabilities.some((c) => c.kind === 'graceful-restart')).toBe(false);
  });
});

describe('negotiation of the peer OPEN', () => {
  it('takes the peer ASN from the four-octet capability', () => {
    const r = negotiate(open({ capabilities: [{ kind: 'four-octet-as', asn: 4200000002 }, { kind: 'multiprotocol', afi: 1, safi: 1 }] }), { local, peerAsn: 4200000002 });
    expect(r).toMatchObject({ ok: true, negotiated: { peerAsn: 4200000002, fourOctetAs: true, families: ['ipv4-unicast'], routeRefresh: false } });
  });
  it('a peer without four-octet AS is judged by its two-octet field', () => {
    const r = negotiate(open({ myAs: 65002, capabilities: [] }), { local, peerAsn: 65002 });
    expect(r).toMatchObject({ ok: true, negotiated: { peerAsn: 65002, fourOctetAs: false } });
  });
  it('a peer without multiprotocol capabilities gets IPv4 unicast only', () => {
    const r = negotiate(open({}), { local, peerAsn: 4200000002 });
    expect(r.ok && r.negotiated.families).toEqual(['ipv4-unicast']);
  });
  it('keeps only the families both sides announced', () => {
    const r = negotiate(open({ capabilities: [{ kind: 'four-octet-as', asn: 4200000002 }, { kind: 'multiprotocol', afi: 2, safi: 1 }, { kind: 'multiprotocol', afi: 1, safi: 128 }, { kind: 'route-refresh' }] }), { local, peerAsn: 4200000002 });
    expect(r).toMatchObject({ ok: true, negotiated: { families: ['ipv6-unicast'], routeRefresh: true } });
  });
  it('reads the peer graceful-restart capability', () => {
    const r = negotiate(open({ capabilities: [{ kind: 'four-octet-as', asn: 4200000002 }, { kind: 'graceful-restart', restarting: true, notification: false, restartTime: 90, families: [{ afi: 1, safi: 1, forwarding: true }, { afi: 25, safi: 70, forwarding: true }] }] }), { local, peerAsn: 4200000002 });
    expect(r.ok && r.negotiated.gracefulRestart).toEqual({ restartTimeSeconds: 90, restarting: true, families: [{ family: 'ipv4-unicast', forwarding: true }] });
  });
  it.each([
    ['wrong AS', open({}), 65000, OpenSubcode.BadPeerAs],
    ['BGP identifier 0', open({ bgpId: 0 }), 4200000002, OpenSubcode.BadBgpIdentifier],
    ['hold time 2', open({ holdTime: 2 }), 4200000002, OpenSubcode.UnacceptableHoldTime],
    ['iBGP with our own identifier', open({ bgpId: local.routerId, capabilities: [{ kind: 'four-octet-as', asn: local.asn }] }), local.asn, OpenSubcode.BadBgpIdentifier],
  ])('refuses %s with the matching OPEN error', (_name, msg, peerAsn, subcode) => {
    const r = negotiate(msg, { local, peerAsn });
    expect(r.ok).toBe(false);
    expect(!r.ok && [r.notification.code, r.notification.subcode]).toEqual([ErrorCode.OpenMessage, subcode]);
  });
  it('accepts hold time 0', () => {
    expect(negotiate(open({ holdTime: 0 }), { local, peerAsn: 4200000002 }).ok).toBe(true);
  });
});
