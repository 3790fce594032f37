/**
 * BFD control packets (RFC 5880 section 4.1), as pure functions over Buffers.
 * No sockets and no timers here: bytes in, a typed packet out, and back.
 */

export enum BfdState {
  AdminDown = 0,
  Down = 1,
  Init = 2,
  Up = 3,
}

/** Diagnostic codes (RFC 5880 section 4.1): why the session last left Up. */
export enum BfdDiagnostic {
  None = 0,
  ControlDetectionTimeExpired = 1,
  EchoFunctionFailed = 2,
  NeighborSignaledSessionDown = 3,
  ForwardingPlaneReset = 4,
  PathDown = 5,
  ConcatenatedPathDown = 6,
  AdministrativelyDown = 7,
  ReverseConcatenatedPathDown = 8,
}

export interface BfdControlPacket {
  diagnostic: BfdDiagnostic;
  state: BfdState;
  poll: boolean;
  final: boolean;
  controlPlaneIndependent: boolean;
  demand: boolean;
  detectMultiplier: number;
  myDiscriminator: number;
  yourDiscriminator: number;
  /** Microseconds, as on the wire. */
  desiredMinTxInterval: number;
  requiredMinRxInterval: number;
  requiredMinEchoRxInterval: number;
  /** The authentication section, kept raw (garagenet does not authenticate BFD; the tunnel does). */
  authentication: { type: number; data: Buffer } | null;
}

export const BFD_VERSION = 1;
export const BFD_HEADER_LENGTH = 24;

/** A packet that RFC 5880 section 6.8.6 says to discard, with the reason. */
export class BfdDecodeError extends Error {
  constructor(reason: string) {
    super(`malformed BFD control packet: ${reason}`);
    this.name = 'BfdDecodeError';
  }
}

export function encodeBfdControl(packet: BfdControlPacket): Buffer {
  const auth = packet.authentication;
  const length = BFD_HEADER_LENGTH + (auth === null ? 0 : 2 + auth.data.length);
  if (packet.detectMultiplier < 1 || packet.detectMultiplier > 255) throw new RangeError(`detect multiplier ${packet.detectMultiplier} is outside 1..255`);
  if (length > 255) throw new RangeError('BFD authentication section is too long');
  const out = Buffer.alloc(length);
  out[0] = (BFD_VERSION << 5) | (packet.diagnostic & 0x1f);
  out[1] =
    ((packet.state & 0x3) << 6) |
    (packet.poll ? 0x20 : 0) |
    (packet.final ? 0x10 : 0) |
    (packet.controlPlaneIndependent ? 0x08 : 0) |
    (auth !== null ? 0x04 : 0) |
    (packet.demand ? 0x02 : 0);
  out[2] = packet.detectMultiplier;
  out[3] = length;
  out.writeUInt32BE(packet.myDiscriminator >>> 0, 4);
  out.writeUInt32BE(packet.yourDiscriminator >>> 0, 8);
  out.writeUInt32BE(packet.desiredMinTxInterval >>> 0, 12);
  out.writeUInt32BE(packet.requiredMinRxInterval >>> 0, 16);
  out.writeUInt32BE(packet.requiredMinEchoRxInterval >>> 0, 20);
  if (auth !== null) {
    out[24] = auth.type;
    out[25] = 2 + auth.data.length;
    auth.data.copy(out, 26);
  }
  return out;
}

/**
 * Decodes one UDP payload, applying the packet checks of RFC 5880 section
 * 6.8.6 that need no session: version, lengths, multiplier, multipoint bit,
 * discriminators. Anything that fails throws BfdDecodeError (the caller drops it).
 */
export function decodeBfdControl(bytes: Buffer): BfdControlPacket {
  if (bytes.length < BFD_HEADER_LENGTH) throw new BfdDecodeError(`${bytes.length} bytes is shorter than the 24-byte header`);
  const b0 = bytes[0] ?? 0;
  const b1 = bytes[1] ?? 0;
  const version = b0 >> 5;
  if (version !== BFD_VERSION) throw new BfdDecodeError(`version ${version}, expected 1`);
  const hasAuth = (b1 & 0x04) !== 0;
  const length = bytes[3] ?? 0;
  if (length < (hasAuth ? BFD_HEADER_LENGTH + 2 : BFD_HEADER_LENGTH)) throw new BfdDecodeError(`length field ${length} is too small`);
  if (length > bytes.length) throw new BfdDecodeError(`length field ${length} runs past the ${bytes.length}-byte payload`);
  const detectMultiplier = bytes[2] ?? 0;
  if (detectMultiplier === 0) throw new BfdDecodeError('detect multiplier is zero');
  if ((b1 & 0x01) !== 0) throw new BfdDecodeError('multipoint bit is set');
  const state = ((b1 >> 6) & 0x3) as BfdState;
  const myDiscriminator = bytes.readUInt32BE(4);
  const yourDiscriminator = bytes.readUInt32BE(8);
  if (myDiscriminator === 0) throw new BfdDecodeError('my discriminator is zero');
  if (yourDiscriminator === 0 && state !== BfdState.Down && state !== BfdState.AdminDown) {
    throw new BfdDecodeError(`your discriminator is zero in state ${BfdState[state]}`);
  }
  let authentication: BfdControlPacket['authentication'] = null;
  if (hasAuth) {
    const authLength = bytes[25] ?? 0;
    if (authLength < 2 || BFD_HEADER_LENGTH + authLength !== length) {
      throw new BfdDecodeError(`authentication length ${authLength} does not match packet length ${length}`);
    }
    authentication = { type: bytes[24] ?? 0, data: Buffer.from(bytes.subarray(26, length)) };
  }
  if ((b1 & 0x30) === 0x30) throw new BfdDecodeError('poll and final bits are both set');
  return {
    // Reserved diagnostic values (9..31) are kept as numbers: they are informational only.
    diagnostic: b0 & 0x1f,
    state,
    poll: (b1 & 0x20) !== 0,
    final: (b1 & 0x10) !== 0,
    controlPlaneIndependent: (b1 & 0x08) !== 0,
    demand: (b1 & 0x02) !== 0,
    detectMultiplier,
    myDiscriminator,
    yourDiscriminator,
    desiredMinTxInterval: bytes.readUInt32BE(12),
    requiredMinRxInterval: bytes.readUInt32BE(16),
    requiredMinEchoRxInterval: bytes.readUInt32BE(20),
    authentication,
  };
}
