import type { FsmState } from './fsm-types.js';

/**
 * Connection collision detection (RFC 4271 §6.8). When both speakers dial at
 * once there are two connections to one peer; once an OPEN tells us the
 * peer's BGP identifier, the connection initiated by the speaker with the
 * higher identifier survives and the other is closed with Cease/7.
 */

export type Direction = 'inbound' | 'outbound';

export interface CollisionInput {
  /** Our BGP identifier and the peer's, as unsigned 32-bit numbers. */
  readonly localId: number;
  readonly remoteId: number;
  /** The connection on which an OPEN just arrived. */
  readonly arriving: Direction;
  /** The same peer's other connection, if there is one. */
  readonly other?: { readonly direction: Direction; readonly state: FsmState };
}

export type CollisionVerdict = 'noCollision' | 'dumpArriving' | 'dumpOther';

/** Which of two connections the higher BGP identifier keeps: the one it initiated. */
export function survivingDirection(localId: number, remoteId: number): Direction {
  return localId >>> 0 < remoteId >>> 0 ? 'inbound' : 'outbound';
}

export function resolveCollision(input: CollisionInput): CollisionVerdict {
  const other = input.other;
  if (!other) return 'noCollision';
  // An Established session is never torn down for a newcomer (RFC 4271 §6.8, last paragraph).
  if (other.state === 'Established') return 'dumpArriving';
  // Only OpenConfirm tells us the peer's identifier on the other connection; in
  // earlier states the other connection resolves it when its OPEN arrives.
  if (other.state !== 'OpenConfirm') return 'noCollision';
  return survivingDirection(input.localId, input.remoteId) === input.arriving ? 'dumpOther' : 'dumpArriving';
}
