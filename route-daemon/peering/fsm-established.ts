import { notifications } from './errors.js';
import { dropToIdle, restartHoldTimer, stay, stopConnected, unexpectedMessage } from './fsm-common.js';
import type { StateHandler } from './fsm-types.js';

/**
 * Established: routes flow. Every KEEPALIVE, UPDATE or ROUTE-REFRESH proves
 * the peer alive and restarts the hold timer; the session hands UPDATEs to
 * the routing instance itself.
 */
export const onEstablished: StateHandler = (data, event) => {
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
    case 'KeepaliveReceived':
    case 'UpdateReceived':
    case 'RouteRefreshReceived':
      return stay(data, restartHoldTimer(data));
    case 'UpdateError':
    case 'MessageError':
      return dropToIdle(data, { cause: 'notificationSent', notify: event.notification });
    case 'ConnectRetryTimerExpires':
    case 'TcpConnected':
    case 'OpenReceived':
    case 'CollisionDump':
      return unexpectedMessage(data);
  }
};
