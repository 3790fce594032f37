import { onActive } from './fsm-active.js';
import { onConnect } from './fsm-connect.js';
import { onEstablished } from './fsm-established.js';
import { onIdle } from './fsm-idle.js';
import { onOpenConfirm } from './fsm-open-confirm.js';
import { onOpenSent } from './fsm-open-sent.js';
import type { FsmConfig, FsmData, FsmEvent, FsmState, StateHandler, Transition } from './fsm-types.js';

export type * from './fsm-types.js';

const handlers: Record<FsmState, StateHandler> = {
  Idle: onIdle,
  Connect: onConnect,
  Active: onActive,
  OpenSent: onOpenSent,
  OpenConfirm: onOpenConfirm,
  Established: onEstablished,
};

export function initialFsm(): FsmData {
  return { state: 'Idle', connectRetryCounter: 0, holdTime: 0, keepaliveTime: 0 };
}

/** One step of the RFC 4271 state machine: the next state and what the session must do, in order. */
export function step(data: FsmData, event: FsmEvent, config: FsmConfig): Transition {
  return handlers[data.state](data, event, config);
}
