import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BfdDecodeError, BfdDiagnostic, BfdState, decodeBfdControl, encodeBfdControl, type BfdControlPacket } from './codec.js';

const base: BfdControlPacket = {
  diagnostic: BfdDiagnostic.None,
  state: BfdState.Up,
  poll: false,
  final: false,
  controlPlaneIndependent: false,
  demand: false,
  detectMultiplier: 3,
  myDiscriminator: 0x01020304,
  yourDiscriminator: 0xfffffffe,
  desiredMinTxInterval: 50_000,
  requiredMinRxInterval: 100_000,
  requiredMinEchoRxInterval: 0,
  authentication: null,
};

const malformed = JSON.parse(readFileSync(new URL('./testdata/malformed.json', import.meta.url), 'utf8')) as Array<{
  name: string;
  hex: string;
  error: string;
}>;

describe('BFD control packet codec', () => {
  it('encodes the RFC 5880 layout byte for byte', () => {
    const bytes = encodeBfdControl({ ...base, diagnostic: BfdDiagnostic.ControlDetectionTimeExpired, poll: true });
    expect(bytes.toString('hex')).toBe(
      '21' + // version 1, diag 1
        'e0' + // state Up (3) << 6, poll
        '03' + '18' + // multiplier 3, length 24
        '01020304' + 'fffffffe' + '0000c350' + '000186a0' + '00000000',
    );
  });

  it('round-trips every state, flag combination and diagnostic', () => {
    for (const state of [BfdState.AdminDown, BfdState.Down, BfdState.Init, BfdState.Up]) {
      for (const [poll, final] of [[false, false], [true, false], [false, true]] as const) {
        for (const diagnostic of [BfdDiagnostic.None, BfdDiagnostic.NeighborSignaledSessionDown, BfdDiagnostic.ReverseConcatenatedPathDown]) {
          const packet = { ...base, state, poll, final, diagnostic, demand: state === BfdState.Up, controlPlaneIndependent: poll };
          expect(decodeBfdControl(encodeBfdControl(packet))).toEqual(packet);
        }
      }
    }
  });

  it('round-trips an authentication section and the extreme field values', () => {
    const packet = {
      ...base,
      detectMultiplier: 255,
      desiredMinTxInterval: 0xffffffff,
      requiredMinRxInterval: 0,
      requiredMinEchoRxInterval: 1,
      authentication: { type: 1, data: Buffer.from([5, 4, 0x73, 0x65, 0x63]) },
    };
    const bytes = encodeBfdControl(packet);
    expect(bytes.length).toBe(24 + 7);
    expect(decodeBfdControl(bytes)).toEqual(packet);
  });

  it('accepts a zero "your discriminator" while Down, and ignores bytes after the length field', () => {
    const packet = { ...base, state: BfdState.Down, yourDiscriminator: 0 };
    const padded = Buffer.concat([encodeBfdControl(packet), Buffer.from([0xde, 0xad])]);
    expect(decodeBfdControl(padded)).toEqual(packet);
  });

  it('refuses to encode a multiplier outside 1..255', () => {
    expect(() => encodeBfdControl({ ...base, detectMultiplier: 0 })).toThrow(/multiplier/);
    expect(() => encodeBfdControl({ ...base, detectMultiplier: 256 })).toThrow(/multiplier/);
  });

  describe('drops each packet of the malformed corpus with its reason', () => {
    for (const c of malformed) {
      it(c.name, () => {
        let caught: unknown;
        try {
          decodeBfdControl(Buffer.from(c.hex, 'hex'));
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(BfdDecodeError);
        expect((caught as Error).message).toContain(c.error);
      });
    }
  });

  it('never throws anything but BfdDecodeError on random bytes', () => {
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const bytes = Buffer.alloc(next() % 40, 0);
      for (let j = 0; j < bytes.length; j++) bytes[j] = next() & 0xff;
      // Mostly plausible headers (version 1, a length that fits, no multipoint), so that the later checks run too.
      if (bytes.length >= 24 && i % 2 === 0) {
        bytes[0] = (bytes[0]! & 0x1f) | 0x20;
        bytes[1] = bytes[1]! & 0xfa;
        bytes[3] = 24;
      }
      try {
        const packet = decodeBfdControl(bytes);
        expect(encodeBfdControl(packet).equals(bytes.subarray(0, bytes[3]))).toBe(true);
        accepted++;
      } catch (err) {
        expect(err).toBeInstanceOf(BfdDecodeError);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});
