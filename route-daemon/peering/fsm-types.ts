import type { Notification } from './errors.js';

/**
 * The vocabulary of the BGP finite state machine (RFC 4271 §8): its states,
 * the events that drive it and the actions it asks the session to carry out.
 * The FSM itself is pure: events in, actions out, no sockets and no clocks.
 * There is one FSM per TCP connection; the peer (collision.ts) decides which
 * of two simultaneous connections survives.
 */

export type FsmState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export type TimerName = 'connectRetry' | 'hold' | 'keepalive';

export type FsmEvent =
  /** ManualStart / AutomaticStart (events 1, 3, 4, 5): passive peers only listen. */
  | { readonly type: 'Start' }
  /** ManualStop (event 2). `graceful` closes without NOTIFICATION so that a graceful-restart peer keeps our routes. */
  | { readonly type: 'Stop'; readonly notification?: Notification; readonly graceful?: boolean }
  | { readonly type: 'ConnectRetryTimerExpires' }
  | { readonly type: 'HoldTimerExpires' }
  | { readonly type: 'KeepaliveTimerExpires' }
  /** Tcp_CR_Acked / TcpConnectionConfirmed (events 16, 17): the connection this FSM drives is up. */
  | { readonly type: 'TcpConnected' }
  | { readonly type: 'TcpConnectionFails' }
  /** BGPOpen (event 19): an OPEN that the session already checked and accepted; carries the peer's hold time. */
  | { readonly type: 'OpenReceived'; readonly holdTime: number }
  /** BGPHeaderErr / BGPOpenMsgErr (events 21, 22): the session found a fatal error in a message. */
  | { readonly type: 'MessageError'; readonly notification: Notification }
  /** OpenCollisionDump (event 23): this connection lost the collision (RFC 4271 §6.8). */
  | { readonly type: 'CollisionDump' }
  | { readonly type: 'NotificationReceived'; readonly notification: Notification }
  | { readonly type: 'KeepaliveReceived' }
  | { readonly type: 'UpdateReceived' }
  | { readonly type: 'RouteRefreshReceived' }
  /** UpdateMsgErr (event 28), or a policy limit (max-prefix) that resets the session. */
  | { readonly type: 'UpdateError'; readonly notification: Notification };

/** Why an FSM left a connected state; graceful restart (RFC 4724) keeps routes only after a connection loss. */
export type DownCause = 'stopped' | 'notificationSent' | 'notificationReceived' | 'connectionLost';

export type FsmAction =
  | { readonly type: 'connect' }
  | { readonly type: 'disconnect' }
  | { readonly type: 'sendOpen' }
  | { readonly type: 'sendKeepalive' }
  | { readonly type: 'sendNotification'; readonly notification: Notification }
  | { readonly type: 'startTimer'; readonly timer: TimerName; readonly seconds: number }
  | { readonly type: 'stopTimer'; readonly timer: TimerName }
  /** The session reached Established: hand it to the routing instance. */
  | { readonly type: 'established'; readonly holdTime: number; readonly keepaliveTime: number }
  /** An Established session ended: the routing instance withdraws (or, with graceful restart, keeps stale) its routes. */
  | { readonly type: 'down'; readonly cause: DownCause; readonly notification?: Notification };

export interface FsmConfig {
  /** Only accept connections, never open one (RFC 4271 PassiveTcpEstablishment). */
  readonly passive: boolean;
  readonly connectRetrySeconds: number;
  /** The hold time we propose in our OPEN; 0 disables hold and keepalive timers. */
  readonly holdTimeSeconds: number;
  readonly keepaliveSeconds?: number;
}

export interface FsmData {
  readonly state: FsmState;
  readonly connectRetryCounter: number;
  /** Negotiated in OpenSent; 0 until then or when either side proposed 0. */
  readonly holdTime: number;
  readonly keepaliveTime: number;
}

export interface Transition {
  readonly data: FsmData;
  readonly actions: readonly FsmAction[];
}

export type StateHandler = (data: FsmData, event: FsmEvent, config: FsmConfig) => Transition;
