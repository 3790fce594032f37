import { FsmSubcode } from '../packet/types.js';
import { notifications, type Notification } from './errors.js';
import type { DownCause, FsmAction, FsmData, FsmState, Transition } from './fsm-types.js';

/**
 * What several states do alike when a connection ends: RFC 4271 §8.2.2 spells
 * the same steps out again in every state, so they live here once.
 */

const stopAllTimers: readonly FsmAction[] = [
  { type: 'stopTimer', timer: 'connectRetry' },
  { type: 'stopTimer', timer: 'hold' },
  { type: 'stopTimer', timer: 'keepalive' },
];

export function stay(data: FsmData, actions: readonly FsmAction[] = []): Transition {
  return { data, actions };
}

export function moveTo(data: FsmData, state: FsmState, actions: readonly FsmAction[] = []): Transition {
  return { data: { ...data, state }, actions };
}

/**
 * Close the connection and fall back to Idle. A manual stop resets the
 * ConnectRetryCounter, every failure increments it (the session uses it to
 * back off). When the session was Established the routing instance is told.
 */
export function dropToIdle(data: FsmData, options: { cause: DownCause; notify?: Notification; received?: Notification }): Transition {
  const actions: FsmAction[] = [];
  if (options.notify) actions.push({ type: 'sendNotification', notification: options.notify });
  actions.push({ type: 'disconnect' }, ...stopAllTimers);
  if (data.state === 'Established') {
    const notification = options.notify ?? options.received;
    actions.push(notification ? { type: 'down', cause: options.cause, notification } : { type: 'down', cause: options.cause });
  }
  const connectRetryCounter = options.cause === 'stopped' ? 0 : data.connectRetryCounter + 1;
  return { data: { ...data, state: 'Idle', connectRetryCounter, holdTime: 0, keepaliveTime: 0 }, actions };
}

/** A message that has no place in this state: NOTIFICATION FSM error (RFC 6608 subcodes). */
export function unexpectedMessage(data: FsmData): Transition {
  const subcode =
    data.state === 'OpenSent' ? FsmSubcode.UnexpectedMessageInOpenSent
    : data.state === 'OpenConfirm' ? FsmSubcode.UnexpectedMessageInOpenConfirm
    : data.state === 'Established' ? FsmSubcode.UnexpectedMessageInEstablished
    : FsmSubcode.Unspecified;
  return dropToIdle(data, { cause: 'notificationSent', notify: notifications.unexpectedMessage(subcode) });
}

/** A manual stop in a state with an open BGP conversation: Cease, unless the stop is graceful. */
export function stopConnected(data: FsmData, event: { notification?: Notification; graceful?: boolean }): Transition {
  if (event.graceful) return dropToIdle(data, { cause: 'stopped' });
  return dropToIdle(data, { cause: 'stopped', notify: event.notification ?? notifications.administrativeShutdown() });
}

export function restartHoldTimer(data: FsmData): FsmAction[] {
  return data.holdTime > 0 ? [{ type: 'startTimer', timer: 'hold', seconds: data.holdTime }] : [];
}
