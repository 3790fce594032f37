import { notifications } from './errors.js';
import { dropToIdle, moveTo, restartHoldTimer, stay, stopConnected, unexpectedMessage } from './fsm-common.js';
import type { StateHandler } from './fsm-types.js';

/** OpenConfirm: OPENs exchanged, waiting for the peer's first KEEPALIVE. */
export const onOpenConfirm: StateHandler = (data, event) => {
  switch (event.type) {
    case 'Start':
      return stay(data);
    case 'Stop':
      return stopConnected(data, event);
    case 'HoldTimerExpires':
      return dropToIdle(data, { cause: 'notificationSent', notify: notifications.holdTimerExpired() });
    case 'KeepaliveTimerExpires':
      return stay(data, [{ type: 'sendKeepalive' }, { type: 'startTimer', timer: 'keepalive', seconds: data.keepaliveTime }]);
    case 'TcpConnectionFails':
      return dropToIdle(data, { cause: 'connectionLost' });
    case 'NotificationReceived':
      return dropToIdle(data, { cause: 'notificationReceived', received: event.notification });
    case 'MessageError':
      return dropToIdle(data, { cause: 'notificationSent', notify: event.notification });
    case 'CollisionDump':
      return dropToIdle(data, { cause: 'notificationSent', notify: notifications.collisionResolution() });
    case 'KeepaliveReceived':
      return moveTo(data, 'Established', [
        ...restartHoldTimer(data),
        { type: 'established', holdTime: data.holdTime, keepaliveTime: data.keepaliveTime },
      ]);
    case 'ConnectRetryTimerExpires':
    case 'TcpConnected':
    case 'OpenReceived':
    case 'UpdateReceived':
    case 'RouteRefreshReceived':
    case 'UpdateError':
      return unexpectedMessage(data);
  }
};
