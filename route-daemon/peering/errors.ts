import {
  CeaseSubcode,
  ErrorCode,
  FsmSubcode,
  type NotificationFields,
} from '../packet/types.js';

/**
 * Which NOTIFICATION the FSM and the session send for which of their own
 * failures (RFC 4271 §6.5-6.7, RFC 4486 Cease subcodes, RFC 6608 FSM
 * subcodes). Errors found in a message (header, OPEN, UPDATE) come with the
 * NOTIFICATION the codec's validator chose; the codes are the codec's.
 */

export type Notification = NotificationFields;

function notification(code: number, subcode: number, data: Buffer = Buffer.alloc(0)): Notification {
  return { code, subcode, data };
}

export const notifications = {
  holdTimerExpired: (): Notification => notification(ErrorCode.HoldTimerExpired, 0),
  unexpectedMessage: (subcode: number): Notification => notification(ErrorCode.FiniteStateMachine, subcode),
  /** Our own failure to process a message: RFC 6608's "unspecified" FSM error, so that the peer retries later. */
  internalError: (): Notification => notification(ErrorCode.FiniteStateMachine, FsmSubcode.Unspecified),
  administrativeShutdown: (): Notification => notification(ErrorCode.Cease, CeaseSubcode.AdministrativeShutdown),
  peerDeconfigured: (): Notification => notification(ErrorCode.Cease, CeaseSubcode.PeerDeconfigured),
  connectionRejected: (): Notification => notification(ErrorCode.Cease, CeaseSubcode.ConnectionRejected),
  collisionResolution: (): Notification => notification(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution),
  /** RFC 4486 §4: the data carries AFI (2), SAFI (1) and the configured limit (4). */
  maxPrefixReached: (afi: number, safi: number, limit: number): Notification => {
    const data = Buffer.alloc(7);
    data.writeUInt16BE(afi, 0);
    data.writeUInt8(safi, 2);
    data.writeUInt32BE(limit, 3);
    return notification(ErrorCode.Cease, CeaseSubcode.MaximumPrefixesReached, data);
  },
};

const codeNames: Record<number, string> = {
  1: 'message header error',
  2: 'OPEN message error',
  3: 'UPDATE message error',
  4: 'hold timer expired',
  5: 'finite state machine error',
  6: 'cease',
  7: 'ROUTE-REFRESH message error',
};

const subcodeNames: Record<number, Record<number, string>> = {
  1: { 1: 'connection not synchronized', 2: 'bad message length', 3: 'bad message type' },
  2: { 1: 'unsupported version number', 2: 'bad peer AS', 3: 'bad BGP identifier', 4: 'unsupported optional parameter', 6: 'unacceptable hold time', 7: 'unsupported capability' },
  3: { 1: 'malformed attribute list', 2: 'unrecognized well-known attribute', 3: 'missing well-known attribute', 4: 'attribute flags error', 5: 'attribute length error', 6: 'invalid ORIGIN attribute', 8: 'invalid NEXT_HOP attribute', 9: 'optional attribute error', 10: 'invalid network field', 11: 'malformed AS_PATH' },
  5: { 1: 'unexpected message in OpenSent', 2: 'unexpected message in OpenConfirm', 3: 'unexpected message in Established' },
  6: { 1: 'maximum number of prefixes reached', 2: 'administrative shutdown', 3: 'peer de-configured', 4: 'administrative reset', 5: 'connection rejected', 6: 'other configuration change', 7: 'connection collision resolution', 8: 'out of resources' },
  7: { 1: 'invalid message length' },
};

/** A human line for logs and the neighbor listing, e.g. "cease: administrative shutdown (6/2)". */
export function describeNotification(n: Pick<Notification, 'code' | 'subcode'>): string {
  const code = codeNames[n.code] ?? `error code ${n.code}`;
  const sub = subcodeNames[n.code]?.[n.subcode];
  return `${code}${sub ? `: ${sub}` : ''} (${n.code}/${n.subcode})`;
}
