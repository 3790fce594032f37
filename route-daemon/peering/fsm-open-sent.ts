import { notifications } from './errors.js';
import { keepaliveInterval, negotiateHoldTime } from './timers.js';
import { dropToIdle, moveTo, stay, stopConnected, unexpectedMessage } from './fsm-common.js';
import type { FsmAction, StateHandler } from './fsm-types.js';

/** OpenSent: our OPEN is out, waiting for the peer's. Here the hold time is negotiated. */
export const onOpenSent: StateHandler = (data, event, config) => {
  switch (event.type) {
    case 'Start':
      return stay(data);
    case 'Stop':
      return stopConnected(data, event);
    case 'HoldTimerExpires':
      return dropToIdle(data, { cause: 'notificationSent', notify: notifications.holdTimerExpired() });
    case 'TcpConnectionFails':
      // RFC 4271: close, restart ConnectRetry and listen again.
      return moveTo(data, 'Active', [
        { type: 'disconnect' },
        { type: 'stopTimer', timer: 'hold' },
        ...(config.passive ? [] : [{ type: 'startTimer', timer: 'connectRetry', seconds: config.connectRetrySeconds } as const]),
      ]);
    case 'OpenReceived': {
      const holdTime = negotiateHoldTime(config.holdTimeSeconds, event.holdTime);
      const keepaliveTime = keepaliveInterval(holdTime, config.keepaliveSeconds);
      const timers: FsmAction[] =
        holdTime === 0
          ? [{ type: 'stopTimer', timer: 'hold' }, { type: 'stopTimer', timer: 'keepalive' }]
          : [
              { type: 'startTimer', timer: 'keepalive', seconds: keepaliveTime },
              { type: 'startTimer', timer: 'hold', seconds: holdTime },
            ];
      return moveTo({ ...data, holdTime, keepaliveTime }, 'OpenConfirm', [
        { type: 'stopTimer', timer: 'connectRetry' },
        { type: 'sendKeepalive' },
        ...timers,
      ]);
    }
    case 'MessageError':
      return dropToIdle(data, { cause: 'notificationSent', notify: event.notification });
    case 'CollisionDump':
      return dropToIdle(data, { cause: 'notificationSent', notify: notifications.collisionResolution() });
    case 'NotificationReceived':
      return dropToIdle(data, { cause: 'notificationReceived', received: event.notification });
    case 'ConnectRetryTimerExpires':
    case 'KeepaliveTimerExpires':
    case 'TcpConnected':
    case 'KeepaliveReceived':
    case 'UpdateReceived':
    case 'RouteRefreshReceived':
    case 'UpdateError':
      return unexpectedMessage(data);
  }
};
