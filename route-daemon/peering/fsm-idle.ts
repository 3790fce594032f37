import { moveTo, stay } from './fsm-common.js';
import type { StateHandler } from './fsm-types.js';

/**
 * Idle (RFC 4271 §8.2.2): refuses everything until started. An active peer
 * dials out at once and arms ConnectRetry; a passive peer only listens.
 */
export const onIdle: StateHandler = (data, event, config) => {
  if (event.type !== 'Start') return stay(data);
  const fresh = { ...data, holdTime: 0, keepaliveTime: 0 };
  if (config.passive) return moveTo(fresh, 'Active');
  return moveTo(fresh, 'Connect', [
    { type: 'startTimer', timer: 'connectRetry', seconds: config.connectRetrySeconds },
    { type: 'connect' },
  ]);
};
