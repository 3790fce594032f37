import { Socket } from 'node:net';
import type { Logger } from '../../common/log.js';
import { turnClock } from '../../common/turn-clock.js';
import { MessageFramer } from '../packet/framer.js';
import { MessageError } from '../packet/types.js';
import type { Direction } from './collision.js';
import { notifications } from './errors.js';
import { initialFsm, step, type FsmAction, type FsmConfig, type FsmData, type FsmEvent, type TimerName } from './fsm.js';
import { jitter } from './timers.js';
import { TurnBudget } from './turns.js';

/**
 * One TCP connection to a peer with its own FSM (RFC 4271 keeps one per
 * connection while a collision is being resolved). It carries out the
 * transport actions the FSM asks for (dial, close, timers, framing) and
 * hands everything else to its owner, the peer session.
 */

export interface ConnectionOwner {
  /** Sends one message built by the owner (OPEN, KEEPALIVE, NOTIFICATION). */
  encode(action: Extract<FsmAction, { type: 'sendOpen' | 'sendKeepalive' | 'sendNotification' }>): Buffer;
  /** A whole message arrived (header checked by the framer). */
  onMessage(connection: Connection, message: Buffer): void;
  /** Actions only the owner can carry out: 'established' and 'down'. */
  onSessionAction(connection: Connection, action: Extract<FsmAction, { type: 'established' | 'down' }>): void;
  /** The FSM went back to Idle; the connection is finished. */
  onIdle(connection: Connection): void;
}

export interface DialTarget {
  readonly host: string;
  readonly port: number;
  /** Our source address, when the session must come from a particular one. */
  readonly localAddress?: string;
}

/**
 * A connection reads for this long per turn of the event loop, counted from
 * the end of its first chunk (so a turn is this plus one chunk of up to
 * 64 KiB), then waits for the next: libuv hands over up to 32 chunks of a
 * busy socket in a row, and while ten peers sent their tables a control
 * request waited over a second (turns.ts).
 */
const READ_TURN_MS = 10;

export class Connection {
  fsm: FsmData = initialFsm();
  direction: Direction;
  socket: Socket | undefined;
  private framer = new MessageFramer();
  private readonly timers = new Map<TimerName, NodeJS.Timeout>();
  private holdSeconds = 0;
  private holdDeadline = 0;
  /** Reading is stopped for the update-rate limit. */
  private paused = false;
  /** How long this connection may read in one turn of the event loop (turns.ts). */
  private readonly readTurn: TurnBudget;
  /** Events raised while actions run are queued so that each step finishes before the next. */
  private readonly queue: FsmEvent[] = [];
  private stepping = false;

  constructor(
    private readonly owner: ConnectionOwner,
    private readonly options: {
      config: FsmConfig;
      dial?: DialTarget;
      log: Logger;
      direction: Direction;
      /** How long it reads per turn of the event loop (default READ_TURN_MS). */
      readTurnMs?: number;
    },
  ) {
    this.direction = options.direction;
    this.readTurn = new TurnBudget(options.readTurnMs ?? READ_TURN_MS);
  }

  get state(): FsmData['state'] {
    return this.fsm.state;
  }

  /** Gives this connection an accepted socket (the FSM then sees TcpConnected). */
  adopt(socket: Socket): void {
    this.abandonSocket();
    this.direction = 'inbound';
    this.attach(socket);
    this.dispatch({ type: 'TcpConnected' });
  }

  dispatch(event: FsmEvent): void {
    this.queue.push(event);
    if (this.stepping) return;
    this.stepping = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const wasIdle = this.fsm.state === 'Idle';
        const { data, actions } = step(this.fsm, next, this.options.config);
        if (data.state !== this.fsm.state) this.options.log.debug({ from: this.fsm.state, to: data.state, event: next.type }, 'state change');
        this.fsm = data;
        for (const action of actions) {
          // One failing action (a bug, never the peer's input) must neither skip the rest nor escape into a timer or socket callback.
          try {
            this.perform(action);
          } catch (err) {
            this.options.log.error({ err: (err as Error).message, action: action.type }, 'failed to carry out an FSM action');
          }
        }
        if (!wasIdle && data.state === 'Idle') {
          this.queue.length = 0;
          this.owner.onIdle(this);
        }
      }
    } finally {
      this.stepping = false;
    }
  }

  /**
   * Stops reading the socket for `ms` (the peer exceeds its update-rate
   * limit: TCP flow control slows it down). The hold timer is pushed back by
   * the same time: a KEEPALIVE we do not read is not a missing one.
   */
  pauseReading(ms: number): void {
    const socket = this.socket;
    if (!socket || this.paused) return;
    this.paused = true;
    socket.pause();
    if (this.timers.has('hold')) this.holdDeadline += ms;
    setTimeout(() => {
      this.paused = false;
      if (this.socket === socket) socket.resume();
    }, ms).unref();
  }

  /** Writes an encoded message; returns false when the socket wants the writer to wait for 'drain'. */
  write(message: Buffer): boolean {
    const socket = this.socket;
    if (!socket || socket.destroyed || !socket.writable) return true;
    return socket.write(message);
  }

  private perform(action: FsmAction): void {
    switch (action.type) {
      case 'connect':
        return this.dial();
      case 'disconnect':
        return this.abandonSocket();
      case 'sendOpen':
      case 'sendKeepalive':
      case 'sendNotification':
        this.write(this.owner.encode(action));
        return;
      case 'startTimer':
        return this.startTimer(action.timer, action.seconds);
      case 'stopTimer':
        return this.stopTimer(action.timer);
      case 'established':
      case 'down':
        return this.owner.onSessionAction(this, action);
    }
  }

  private dial(): void {
    const target = this.options.dial;
    if (!target) return;
    this.abandonSocket();
    this.direction = 'outbound';
    const socket = new Socket();
    this.attach(socket);
    socket.once('connect', () => {
      if (this.socket === socket) this.dispatch({ type: 'TcpConnected' });
    });
    socket.connect({ host: target.host, port: target.port, ...(target.localAddress ? { localAddress: target.localAddress } : {}) });
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    this.framer = new MessageFramer();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.take(socket, chunk);
      if (this.socket !== socket || this.readTurn.available()) return;
      // Its turn is over: the other sessions, and the control API, are read before more of it.
      socket.pause();
      setImmediate(() => {
        if (this.socket === socket && !this.paused) socket.resume();
      });
    });
    socket.on('error', (err) => this.options.log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => {
      if (this.socket === socket) {
        this.socket = undefined;
        this.dispatch({ type: 'TcpConnectionFails' });
      }
    });
  }

  private take(socket: Socket, chunk: Buffer): void {
    // Nothing a peer sends may escape as an exception: it would take the daemon down.
    try {
      const { messages, error } = this.framer.push(chunk);
      for (const message of messages) {
        if (this.socket !== socket) return;
        this.owner.onMessage(this, message);
      }
      if (error && this.socket === socket) throw error;
    } catch (err) {
      if (err instanceof MessageError) {
        this.options.log.warn({ err: err.message }, 'bad message');
        this.dispatch({ type: 'MessageError', notification: err.notification });
      } else {
        this.options.log.error({ err: (err as Error).message }, 'failed to handle a message');
        this.dispatch({ type: 'MessageError', notification: notifications.internalError() });
      }
    }
  }

  /** Lets go of the socket: what was written is still flushed, then it closes; no more events from it. */
  private abandonSocket(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    socket.end();
    // A peer that never reads must not keep the socket open forever.
    setTimeout(() => socket.destroy(), 2_000).unref();
  }

  private startTimer(timer: TimerName, seconds: number): void {
    // The hold timer restarts on every message: move its deadline instead of
    // re-creating a timer each time (a full table is 200,000 UPDATEs).
    if (timer === 'hold' && this.timers.has('hold') && this.holdSeconds === seconds) {
      this.holdDeadline = turnClock.time() + seconds * 1000;
      return;
    }
    this.stopTimer(timer);
    if (timer === 'hold') {
      this.holdSeconds = seconds;
      this.holdDeadline = Date.now() + seconds * 1000;
      this.armHold();
      return;
    }
    const jittered = timer === 'connectRetry' ? jitter(seconds, Math.random()) : seconds;
    const event: FsmEvent = timer === 'connectRetry' ? { type: 'ConnectRetryTimerExpires' } : { type: 'KeepaliveTimerExpires' };
    this.timers.set(timer, setTimeout(() => {
      this.timers.delete(timer);
      this.dispatch(event);
    }, jittered * 1000));
  }

  private armHold(): void {
    this.timers.set('hold', setTimeout(() => {
      const left = this.holdDeadline - Date.now();
      if (left > 0) return this.armHold();
      this.timers.delete('hold');
      this.dispatch({ type: 'HoldTimerExpires' });
    }, Math.max(0, this.holdDeadline - Date.now())));
  }

  private stopTimer(timer: TimerName): void {
    const handle = this.timers.get(timer);
    if (handle) clearTimeout(handle);
    this.timers.delete(timer);
  }

  /** Tears everything down without any FSM step (daemon shutdown after the FSM was stopped). */
  dispose(): void {
    for (const timer of [...this.timers.keys()]) this.stopTimer(timer);
    this.abandonSocket();
  }
}
