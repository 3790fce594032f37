import { OPEN_WAIT_HOLD_SECONDS } from './timers.js';
import { dropToIdle, moveTo, stay } from './fsm-common.js';
import type { StateHandler } from './fsm-types.js';

/** Connect: waiting for our outgoing TCP connection (or an incoming one) to come up. */
export const onConnect: StateHandler = (data, event, config) => {
  switch (event.type) {
    case 'Start':
      return stay(data);
    case 'Stop':
      return dropToIdle(data, { cause: 'stopped' });
    case 'ConnectRetryTimerExpires':
      return stay(data, [
        { type: 'disconnect' },
        { type: 'startTimer', timer: 'connectRetry', seconds: config.connectRetrySeconds },
        { type: 'connect' },
      ]);
    case 'TcpConnected':
      return moveTo(data, 'OpenSent', [
        { type: 'stopTimer', timer: 'connectRetry' },
        { type: 'sendOpen' },
        { type: 'startTimer', timer: 'hold', seconds: OPEN_WAIT_HOLD_SECONDS },
      ]);
    case 'TcpConnectionFails':
      // Keep listening; ConnectRetry brings us back to Connect.
      return moveTo(data, 'Active', [
        { type: 'disconnect' },
        { type: 'startTimer', timer: 'connectRetry', seconds: config.connectRetrySeconds },
      ]);
    default:
      return dropToIdle(data, { cause: 'connectionLost' });
  }
};
