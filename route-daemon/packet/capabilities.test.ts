import { describe, expect, it } from 'vitest';
import { gracefulRestartOf, negotiateCodecOptions, openAsn } from './capabilities.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { AS_TRANS, IPV4_UNICAST, IPV6_UNICAST, MessageError, MessageType, OpenSubcode } from './types.js';
import type { Capability, OpenMessage } from './types.js';

function open(capabilities: Capability[], myAs = 65001): OpenMessage {
  return { type: MessageType.Open, version: 4, myAs, holdTime: 90, bgpId: 1, capabilities };
}

describe('capability negotiation', () => {
  it('agrees on the families both offer and on four-octet AS only if both have it', () => {
    const local = open([{ kind: 'multiprotocol', ...IPV4_UNICAST }, { kind: 'multiprotocol', ...IPV6_UNICAST }, { kind: 'four-octet-as', asn: 65001 }]);
    const remote = open([{ kind: 'multiprotocol', ...IPV6_UNICAST }, { kind: 'four-octet-as', asn: 4200000000 }], AS_TRANS);
    expect(negotiateCodecOptions(local, remote)).toEqual({ fourOctetAs: true, families: [IPV6_UNICAST] });
    expect(negotiateCodecOptions(local, open([]))).toEqual({ fourOctetAs: false, families: [IPV4_UNICAST] });
  });

  it('reads the real AS from the four-octet capability', () => {
    expect(openAsn(open([{ kind: 'four-octet-as', asn: 4200000000 }], AS_TRANS))).toBe(4200000000);
    expect(openAsn(open([], 65010))).toBe(65010);
  });

  it('finds the graceful restart capability', () => {
    const gr: Capability = { kind: 'graceful-restart', restarting: false, notification: false, restartTime: 4095, families: [] };
    expect(gracefulRestartOf(open([gr]))).toEqual(gr);
    expect(gracefulRestartOf(open([]))).toBeNull();
  });

  it('rejects a malformed known capability with OPEN Message Error, subcode 0', () => {
    const bytes = encodeMessage(open([{ kind: 'four-octet-as', asn: 7 }]), { fourOctetAs: true, families: [] });
    bytes[bytes.length - 5] = 3; // capability length 4 -> 3
    bytes[bytes.length - 7] -= 1; // parameter length
    bytes[28] -= 1; // optional parameters length
    const shorter = bytes.subarray(0, bytes.length - 1);
    shorter.writeUInt16BE(shorter.length, 16);
    try {
      decodeMessage(shorter, { fourOctetAs: true, families: [] });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MessageError);
      expect((error as MessageError).notification.subcode).toBe(OpenSubcode.Unspecific);
    }
  });
});
