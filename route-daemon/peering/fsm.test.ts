import { describe, expect, it } from 'vitest';
import { CeaseSubcode, ErrorCode, FsmSubcode, OpenSubcode } from '../packet/types.js';
import { notifications } from './errors.js';
import { initialFsm, step, type FsmAction, type FsmConfig, type FsmData, type FsmEvent, type FsmState } from './fsm.js';
import { OPEN_WAIT_HOLD_SECONDS } from './timers.js';

const active: FsmConfig = { passive: false, connectRetrySeconds: 30, holdTimeSeconds: 9 };
const passive: FsmConfig = { ...active, passive: true };

function inState(state: FsmState, extra: Partial<FsmData> = {}): FsmData {
  return { ...initialFsm(), state, ...extra };
}

/** Runs events from Idle and returns the final data plus every action taken. */
function run(config: FsmConfig, events: FsmEvent[]): { data: FsmData; actions: FsmAction[] } {
  let data = initialFsm();
  const actions: FsmAction[] = [];
  for (const event of events) {
    const t = step(data, event, config);
    data = t.data;
    actions.push(...t.actions);
  }
  return { data, actions };
}

const types = (actions: readonly FsmAction[]): string[] => actions.map((a) => a.type);
const sent = (actions: readonly FsmAction[]) => actions.find((a) => a.type === 'sendNotification');

const badPeerAs = { code: ErrorCode.OpenMessage, subcode: OpenSubcode.BadPeerAs, data: Buffer.alloc(0) };
const peerDeconfigured = { code: ErrorCode.Cease, subcode: CeaseSubcode.PeerDeconfigured, data: Buffer.alloc(0) };
const administrativeReset = { code: ErrorCode.Cease, subcode: CeaseSubcode.AdministrativeReset, data: Buffer.alloc(0) };

describe('Idle', () => {
  it('an active peer dials out and arms ConnectRetry', () => {
    const t = step(initialFsm(), { type: 'Start' }, active);
    expect(t.data.state).toBe('Connect');
    expect(t.actions).toEqual([{ type: 'startTimer', timer: 'connectRetry', seconds: 30 }, { type: 'connect' }]);
  });
  it('a passive peer only listens', () => {
    const t = step(initialFsm(), { type: 'Start' }, passive);
    expect(t.data.state).toBe('Active');
    expect(t.actions).toEqual([]);
  });
  it('ignores everything but Start', () => {
    for (const event of [{ type: 'TcpConnected' }, { type: 'KeepaliveReceived' }, { type: 'HoldTimerExpires' }] as const) {
      const t = step(initialFsm(), event, active);
      expect(t.data.state).toBe('Idle');
      expect(t.actions).toEqual([]);
    }
  });
});

describe('Connect', () => {
  it('sends OPEN with the large hold timer once TCP is up', () => {
    const t = step(inState('Connect'), { type: 'TcpConnected' }, active);
    expect(t.data.state).toBe('OpenSent');
    expect(t.actions).toEqual([
      { type: 'stopTimer', timer: 'connectRetry' },
      { type: 'sendOpen' },
      { type: 'startTimer', timer: 'hold', seconds: OPEN_WAIT_HOLD_SECONDS },
    ]);
  });
  it('dials again when ConnectRetry fires', () => {
    const t = step(inState('Connect'), { type: 'ConnectRetryTimerExpires' }, active);
    expect(t.data.state).toBe('Connect');
    expect(types(t.actions)).toEqual(['disconnect', 'startTimer', 'connect']);
  });
  it('falls back to Active when the dial fails', () => {
    const t = step(inState('Connect'), { type: 'TcpConnectionFails' }, active);
    expect(t.data.state).toBe('Active');
    expect(t.actions).toContainEqual({ type: 'startTimer', timer: 'connectRetry', seconds: 30 });
  });
  it('goes Idle on Stop with the retry counter reset', () => {
    const t = step(inState('Connect', { connectRetryCounter: 3 }), { type: 'Stop' }, active);
    expect(t.data).toMatchObject({ state: 'Idle', connectRetryCounter: 0 });
    expect(types(t.actions)).toContain('disconnect');
    expect(sent(t.actions)).toBeUndefined();
  });
  it('a message out of place sends it to Idle and counts a failure', () => {
    const t = step(inState('Connect'), { type: 'KeepaliveReceived' }, active);
    expect(t.data).toMatchObject({ state: 'Idle', connectRetryCounter: 1 });
  });
});

describe('Active', () => {
  it('an active peer moves to Connect when ConnectRetry fires', () => {
    const t = step(inState('Active'), { type: 'ConnectRetryTimerExpires' }, active);
    expect(t.data.state).toBe('Connect');
    expect(types(t.actions)).toEqual(['startTimer', 'connect']);
  });
  it('a passive peer never dials', () => {
    const t = step(inState('Active'), { type: 'ConnectRetryTimerExpires' }, passive);
    expect(t.data.state).toBe('Active');
    expect(types(t.actions)).not.toContain('connect');
  });
  it('an incoming connection leads to OpenSent', () => {
    const t = step(inState('Active'), { type: 'TcpConnected' }, passive);
    expect(t.data.state).toBe('OpenSent');
    expect(types(t.actions)).toContain('sendOpen');
  });
  it('a failed connection drops to Idle', () => {
    const t = step(inState('Active'), { type: 'TcpConnectionFails' }, passive);
    expect(t.data).toMatchObject({ state: 'Idle', connectRetryCounter: 1 });
  });
});

describe('OpenSent', () => {
  it('negotiates the smaller hold time and sends KEEPALIVE', () => {
    const t = step(inState('OpenSent'), { type: 'OpenReceived', holdTime: 6 }, { ...active, holdTimeSeconds: 90 });
    expect(t.data).toMatchObject({ state: 'OpenConfirm', holdTime: 6, keepaliveTime: 2 });
    expect(t.actions).toEqual([
      { type: 'stopTimer', timer: 'connectRetry' },
      { type: 'sendKeepalive' },
      { type: 'startTimer', timer: 'keepalive', seconds: 2 },
      { type: 'startTimer', timer: 'hold', seconds: 6 },
    ]);
  });
  it('a hold time of 0 from the peer turns both timers off', () => {
    const t = step(inState('OpenSent'), { type: 'OpenReceived', holdTime: 0 }, active);
    expect(t.data).toMatchObject({ state: 'OpenConfirm', holdTime: 0, keepaliveTime: 0 });
    expect(t.actions).toContainEqual({ type: 'stopTimer', timer: 'hold' });
    expect(t.actions).toContainEqual({ type: 'stopTimer', timer: 'keepalive' });
    expect(t.actions.filter((a) => a.type === 'startTimer')).toEqual([]);
  });
  it('a configured keepalive shorter than a third of the hold time wins', () => {
    const t = step(inState('OpenSent'), { type: 'OpenReceived', holdTime: 90 }, { ...active, holdTimeSeconds: 90, keepaliveSeconds: 10 });
    expect(t.data.keepaliveTime).toBe(10);
  });
  it('sends Hold Timer Expired when no OPEN comes', () => {
    const t = step(inState('OpenSent'), { type: 'HoldTimerExpires' }, active);
    expect(t.data.state).toBe('Idle');
    expect(sent(t.actions)).toEqual({ type: 'sendNotification', notification: notifications.holdTimerExpired() });
  });
  it('a lost connection goes back to listening in Active', () => {
    const t = step(inState('OpenSent'), { type: 'TcpConnectionFails' }, active);
    expect(t.data.state).toBe('Active');
    expect(t.actions).toContainEqual({ type: 'startTimer', timer: 'connectRetry', seconds: 30 });
  });
  it('a collision loser closes with Cease/connection collision resolution', () => {
    const t = step(inState('OpenSent'), { type: 'CollisionDump' }, active);
    expect(t.data.state).toBe('Idle');
    expect(sent(t.actions)).toMatchObject({ notification: { code: ErrorCode.Cease, subcode: CeaseSubcode.ConnectionCollisionResolution } });
  });
  it('sends the OPEN error the session found', () => {
    const t = step(inState('OpenSent'), { type: 'MessageError', notification: badPeerAs }, active);
    expect(t.data.state).toBe('Idle');
    expect(sent(t.actions)).toEqual({ type: 'sendNotification', notification: badPeerAs });
  });
  it('an UPDATE before the OPEN is an FSM error (RFC 6608 subcode 1)', () => {
    const t = step(inState('OpenSent'), { type: 'UpdateReceived' }, active);
    expect(sent(t.actions)).toMatchObject({ notification: { code: ErrorCode.FiniteStateMachine, subcode: FsmSubcode.UnexpectedMessageInOpenSent } });
  });
  it('Stop sends Cease/administrative shutdown', () => {
    const t = step(inState('OpenSent'), { type: 'Stop' }, active);
    expect(sent(t.actions)).toMatchObject({ notification: { code: ErrorCode.Cease, subcode: CeaseSubcode.AdministrativeShutdown } });
  });
  it('a received NOTIFICATION ends the connection without answering', () => {
    const t = step(inState('OpenSent'), { type: 'NotificationReceived', notification: badPeerAs }, active);
    expect(t.data.state).toBe('Idle');
    expect(sent(t.actions)).toBeUndefined();
    expect(types(t.actions)).toContain('disconnect');
  });
});

describe('OpenConfirm', () => {
  const confirmed = inState('OpenConfirm', { holdTime: 9, keepaliveTime: 3 });
  it('the first KEEPALIVE establishes the session', () => {
    const t = step(confirmed, { type: 'KeepaliveReceived' }, active);
    expect(t.data.state).toBe('Established');
    expect(t.actions).toEqual([
      { type: 'startTimer', timer: 'hold', seconds: 9 },
      { type: 'established', holdTime: 9, keepaliveTime: 3 },
    ]);
  });
  it('sends KEEPALIVE when its timer fires', () => {
    const t = step(confirmed, { type: 'KeepaliveTimerExpires' }, active);
    expect(t.data.state).toBe('OpenConfirm');
    expect(t.actions).toEqual([{ type: 'sendKeepalive' }, { type: 'startTimer', timer: 'keepalive', seconds: 3 }]);
  });
  it('a second OPEN is an FSM error (RFC 6608 subcode 2)', () => {
    const t = step(confirmed, { type: 'OpenReceived', holdTime: 9 }, active);
    expect(sent(t.actions)).toMatchObject({ notification: { code: ErrorCode.FiniteStateMachine, subcode: FsmSubcode.UnexpectedMessageInOpenConfirm } });
  });
  it('hold timer expiry sends its NOTIFICATION and reports no session down (never was up)', () => {
    const t = step(confirmed, { type: 'HoldTimerExpires' }, active);
    expect(sent(t.actions)).toMatchObject({ notification: { code: ErrorCode.HoldTimerExpired } });
    expect(types(t.actions)).not.toContain('down');
  });
  it('collision dump closes with Cease/7', () => {
    const t = step(confirmed, { type: 'CollisionDump' }, active);
    expect(sent(t.actions)).toMatchObject({ notification: { subcode: CeaseSubcode.ConnectionCollisionResolution } });
  });
});

describe('Established', () => {
  const up = inState('Established', { holdTime: 9, keepaliveTime: 3 });
  it('UPDATE, KEEPALIVE and ROUTE-REFRESH restart the hold timer', () => {
    for (const type of ['UpdateReceived', 'KeepaliveReceived', 'RouteRefreshReceived'] as const) {
      const t = step(up, { type }, active);
      expect(t.data.state).toBe('Established');
      expect(t.actions).toEqual([{ type: 'startTimer', timer: 'hold', seconds: 9 }]);
    }
  });
  it('with hold time 0 nothing is restarted', () => {
    const t = step(inState('Established'), { type: 'UpdateReceived' }, active);
    expect(t.actions).toEqual([]);
  });
  it('hold timer expiry: NOTIFICATION, disconnect, and the instance is told', () => {
    const t = step(up, { type: 'HoldTimerExpires' }, active);
    expect(t.data).toMatchObject({ state: 'Idle', connectRetryCounter: 1 });
    expect(t.actions).toContainEqual({ type: 'down', cause: 'notificationSent', notification: notifications.holdTimerExpired() });
  });
  it('an UPDATE error resets with the validator\'s NOTIFICATION', () => {
    const n = { code: ErrorCode.UpdateMessage, subcode: 1, data: Buffer.alloc(0) };
    const t = step(up, { type: 'UpdateError', notification: n }, active);
    expect(sent(t.actions)).toEqual({ type: 'sendNotification', notification: n });
    expect(t.actions).toContainEqual({ type: 'down', cause: 'notificationSent', notification: n });
  });
  it('a lost connection is reported as such (graceful restart keeps routes then)', () => {
    const t = step(up, { type: 'TcpConnectionFails' }, active);
    expect(t.actions).toContainEqual({ type: 'down', cause: 'connectionLost' });
    expect(sent(t.actions)).toBeUndefined();
  });
  it('a graceful stop closes without NOTIFICATION', () => {
    const t = step(up, { type: 'Stop', graceful: true }, active);
    expect(sent(t.actions)).toBeUndefined();
    expect(t.actions).toContainEqual({ type: 'down', cause: 'stopped' });
  });
  it('a stop with a reason sends that reason', () => {
    const t = step(up, { type: 'Stop', notification: peerDeconfigured }, active);
    expect(sent(t.actions)).toEqual({ type: 'sendNotification', notification: peerDeconfigured });
  });
  it('an OPEN in Established is an FSM error, not a crash (RFC 6608 subcode 3)', () => {
    const t = step(up, { type: 'OpenReceived', holdTime: 9 }, active);
    expect(t.data.state).toBe('Idle');
    expect(sent(t.actions)).toMatchObject({ notification: { code: ErrorCode.FiniteStateMachine, subcode: FsmSubcode.UnexpectedMessageInEstablished } });
  });
  it('a received NOTIFICATION is passed to the instance', () => {
    const n = administrativeReset;
    const t = step(up, { type: 'NotificationReceived', notification: n }, active);
    expect(t.actions).toContainEqual({ type: 'down', cause: 'notificationReceived', notification: n });
  });
});

describe('a whole session', () => {
  it('active peer: Idle → Connect → OpenSent → OpenConfirm → Established → Idle', () => {
    const { data, actions } = run(active, [
      { type: 'Start' },
      { type: 'TcpConnected' },
      { type: 'OpenReceived', holdTime: 3 },
      { type: 'KeepaliveReceived' },
      { type: 'Stop' },
    ]);
    expect(data.state).toBe('Idle');
    expect(types(actions).filter((t) => t.startsWith('send') || t === 'established' || t === 'down')).toEqual([
      'sendOpen', 'sendKeepalive', 'established', 'sendNotification', 'down',
    ]);
  });
  it('failures accumulate in the connect retry counter, a Stop clears it', () => {
    const failed = run(active, [{ type: 'Start' }, { type: 'TcpConnected' }, { type: 'HoldTimerExpires' }, { type: 'Start' }, { type: 'TcpConnected' }, { type: 'HoldTimerExpires' }]);
    expect(failed.data.connectRetryCounter).toBe(2);
    const stopped = step(step(failed.data, { type: 'Start' }, active).data, { type: 'Stop' }, active);
    expect(stopped.data.connectRetryCounter).toBe(0);
  });
});
