import { OPEN_WAIT_HOLD_SECONDS } from './timers.js';
import { dropToIdle, moveTo, stay } from './fsm-common.js';
import type { StateHandler } from './fsm-types.js';

/**
 * Active: listening for the peer to connect. An active peer dials again when
 * ConnectRetry fires; a passive peer waits for as long as it takes.
 */
export const onActive: StateHandler = (data, event, config) => {
  switch (event.type) {
    case 'Start':
      return stay(data);
    case 'Stop':
      return dropToIdle(data, { cause: 'stopped' });
    case 'ConnectRetryTimerExpires':
      if (config.passive) return stay(data);
      return moveTo(data, 'Connect', [
        { type: 'startTimer', timer: 'connectRetry', seconds: config.connectRetrySeconds },
        { type: 'connect' },
      ]);
    case 'TcpConnected':
      return moveTo(data, 'OpenSent', [
        { type: 'stopTimer', timer: 'connectRetry' },
        { type: 'sendOpen' },
        { type: 'startTimer', timer: 'hold', seconds: OPEN_WAIT_HOLD_SECONDS },
      ]);
    default:
      return dropToIdle(data, { cause: 'connectionLost' });
  }
};
