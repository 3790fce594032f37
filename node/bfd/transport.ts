import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { UserError } from '../../common/errors.js';
import { formatAddress, parseAddress } from '../../common/prefix.js';
import { createLogger, type Logger } from '../../common/log.js';
import { BfdDecodeError, BfdDiagnostic, BfdState, decodeBfdControl, encodeBfdControl, type BfdControlPacket } from './codec.js';
import { BfdSession, type BfdStateChange, type BfdTimers } from './session.js';

/** RFC 5881: single-hop BFD control packets go to UDP port 3784... */
export const BFD_CONTROL_PORT = 3784;
/** ...from a source port in 49152-65535, the same for the whole session. */
const SOURCE_PORT_MIN = 49152;
const SOURCE_PORT_MAX = 65535;

export interface BfdPeerStatus {
  peer: string;
  localAddress: string;
  state: keyof typeof BfdState;
  diagnostic: keyof typeof BfdDiagnostic;
  localDiscriminator: number;
  detectionTimeUs: number;
  transmitIntervalUs: number;
}

export interface BfdStateEvent extends BfdStateChange {
  peer: string;
  /** The detection time in force when the change happened (what bounds a "down" after a failure). */
  detectionTimeUs: number;
}

interface PeerEntry {
  session: BfdSession;
  localAddress: string;
  sender: Socket;
  txTimer: NodeJS.Timeout | undefined;
  /** The un-jittered interval the pending transmit was scheduled with. */
  txIntervalUs: number;
  detectTimer: NodeJS.Timeout | undefined;
  log: Logger;
}

function nowUs(): number {
  return Math.round(performance.now() * 1000);
}

/**
 * BFD over UDP for the tunnels of one node (RFC 5881, single hop,
 * asynchronous mode): one listening socket on port 3784 per local tunnel
 * address, one sending socket per session, and the timers
 * that drive each session's state machine. Emits 'state' (BfdStateEvent)
 * on every change; the agent takes a tunnel's BGP sessions down on Down.
 * Malformed or stray packets are counted and dropped, never thrown.
 */
export class BfdEndpoint extends EventEmitter<{ state: [BfdStateEvent] }> {
  private readonly peers = new Map<string, PeerEntry>();
  private readonly byDiscriminator = new Map<number, PeerEntry>();
  private readonly listenSockets = new Map<string, Socket>();
  private readonly log = createLogger('bfd');
  /** Packets dropped: malformed, or for no session. */
  dropped = 0;

  /** Starts a session with the far end's tunnel address, sending from `localAddress`. */
  async addPeer(peerAddress: string, options: { localAddress: string; timers: BfdTimers }): Promise<void> {
    const family = isIP(peerAddress);
    if (family === 0 || isIP(options.localAddress) !== family) {
      throw new UserError(`BFD peer ${peerAddress}: peer and local address ${options.localAddress} must be IP addresses of one family`);
    }
    // Sessions are found by the sender's address as the kernel writes it (RFC 5952 for IPv6).
    const peer = formatAddress(parseAddress(peerAddress));
    if (this.peers.has(peer)) throw new UserError(`BFD peer ${peer} already has a session`);
    await this.listen(family as 4 | 6, options.localAddress);
    let discriminator = randomInt(1, 0xffffffff);
    while (this.byDiscriminator.has(discriminator)) discriminator = randomInt(1, 0xffffffff);
    const session = new BfdSession({ localDiscriminator: discriminator, timers: options.timers });
    const sender = await bindSender(family as 4 | 6, options.localAddress);
    const entry: PeerEntry = {
      session,
      localAddress: options.localAddress,
      sender,
      txTimer: undefined,
      txIntervalUs: 0,
      detectTimer: undefined,
      log: this.log.child({ peer }),
    };
    sender.on('error', (err) => entry.log.warn({ err: err.message }, 'BFD send socket error'));
    this.peers.set(peer, entry);
    this.byDiscriminator.set(discriminator, entry);
    this.scheduleTransmit(peer, entry, 0);
  }

  /** Stops a session: tells the remote AdminDown once, then closes its socket. */
  async removePeer(peerAddress: string): Promise<void> {
    const peer = formatAddress(parseAddress(peerAddress));
    const entry = this.peers.get(peer);
    if (entry === undefined) return;
    this.peers.delete(peer);
    this.byDiscriminator.delete(entry.session.localDiscriminator);
    clearTimeout(entry.txTimer);
    clearTimeout(entry.detectTimer);
    entry.session.setAdminDown();
    await new Promise<void>((resolve) => entry.sender.send(encodeBfdControl(entry.session.controlPacket()), BFD_CONTROL_PORT, peer, () => resolve()));
    entry.sender.close();
  }

  status(): BfdPeerStatus[] {
    return [...this.peers].map(([peer, entry]) => {
      const packet = entry.session.controlPacket();
      return {
        peer,
        localAddress: entry.localAddress,
        state: BfdState[entry.session.state] as keyof typeof BfdState,
        diagnostic: BfdDiagnostic[packet.diagnostic] as keyof typeof BfdDiagnostic,
        localDiscriminator: entry.session.localDiscriminator,
        detectionTimeUs: entry.session.detectionTimeUs(),
        transmitIntervalUs: entry.session.transmitIntervalUs(),
      };
    });
  }

  async close(): Promise<void> {
    for (const peer of [...this.peers.keys()]) await this.removePeer(peer);
    for (const socket of this.listenSockets.values()) socket.close();
    this.listenSockets.clear();
  }

  /**
   * One listening socket per local (tunnel) address rather than a wildcard:
   * packets for other addresses are not ours, and another BFD speaker (BIRD)
   * can run beside us in the same namespace on its own addresses.
   */
  private async listen(family: 4 | 6, localAddress: string): Promise<void> {
    if (this.listenSockets.has(localAddress)) return;
    const socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6', reuseAddr: true });
    socket.on('message', (bytes, from) => this.onMessage(bytes, from));
    socket.on('error', (err) => this.log.warn({ err: err.message }, 'BFD listening socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(BFD_CONTROL_PORT, localAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((err: Error) => {
      throw new UserError(`cannot listen for BFD on ${localAddress} port ${BFD_CONTROL_PORT}: ${err.message}`, {
        hint: 'is the tunnel address configured on this node?',
      });
    });
    this.listenSockets.set(localAddress, socket);
  }

  private onMessage(bytes: Buffer, from: RemoteInfo): void {
    let packet: BfdControlPacket;
    try {
      packet = decodeBfdControl(bytes);
    } catch (err) {
      // Whatever arrives from the network, the daemon drops it and carries on.
      this.dropped++;
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof BfdDecodeError) this.log.debug({ from: from.address, reason }, 'dropped BFD packet');
      else this.log.warn({ from: from.address, reason }, 'dropped BFD packet the decoder could not handle');
      return;
    }
    const peer = from.address.replace(/^::ffff:/, '');
    const entry = packet.yourDiscriminator !== 0 ? this.byDiscriminator.get(packet.yourDiscriminator) : this.peers.get(peer);
    if (entry === undefined || this.peers.get(peer) !== entry) {
      this.dropped++;
      return;
    }
    const now = nowUs();
    const { reply, change } = entry.session.receive(packet, now);
    if (reply !== null) entry.sender.send(encodeBfdControl(reply), BFD_CONTROL_PORT, peer);
    if (change !== null) this.report(peer, entry, change);
    this.armDetection(peer, entry);
    // A faster rate takes effect at once (RFC 5880 section 6.8.3): the remote's
    // detection time has already shrunk, so a packet still waiting out the old
    // one-second interval would make it declare us dead.
    if (entry.session.transmitIntervalUs() < entry.txIntervalUs) {
      clearTimeout(entry.txTimer);
      this.scheduleTransmit(peer, entry, entry.session.jitteredTransmitIntervalUs());
    }
  }

  private armDetection(peer: string, entry: PeerEntry): void {
    clearTimeout(entry.detectTimer);
    const deadline = entry.session.detectionDeadlineUs();
    if (deadline === null) return;
    entry.detectTimer = setTimeout(() => {
      const change = entry.session.expire(nowUs());
      if (change !== null) this.report(peer, entry, change);
      else this.armDetection(peer, entry);
    }, Math.max(0, (deadline - nowUs()) / 1000));
  }

  private scheduleTransmit(peer: string, entry: PeerEntry, delayUs: number): void {
    entry.txIntervalUs = entry.session.transmitIntervalUs();
    entry.txTimer = setTimeout(() => {
      if (entry.session.mayTransmit()) entry.sender.send(encodeBfdControl(entry.session.controlPacket()), BFD_CONTROL_PORT, peer);
      this.scheduleTransmit(peer, entry, entry.session.jitteredTransmitIntervalUs());
    }, delayUs / 1000);
  }

  private report(peer: string, entry: PeerEntry, change: BfdStateChange): void {
    const event: BfdStateEvent = { ...change, peer, detectionTimeUs: entry.session.detectionTimeUs() };
    entry.log.info({ from: BfdState[change.from], to: BfdState[change.to], diagnostic: BfdDiagnostic[change.diagnostic] }, 'BFD session state');
    this.emit('state', event);
  }
}

async function bindSender(family: 4 | 6, localAddress: string): Promise<Socket> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
    const port = randomInt(SOURCE_PORT_MIN, SOURCE_PORT_MAX + 1);
    const bound = await new Promise<boolean>((resolve, reject) => {
      socket.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
      socket.bind(port, localAddress, () => resolve(true));
    }).catch((err: Error) => {
      throw new UserError(`cannot send BFD from ${localAddress}: ${err.message}`, { hint: 'is the tunnel address configured on this node?' });
    });
    if (bound) {
      socket.removeAllListeners('error');
      // RFC 5881 section 5: single-hop packets leave with TTL 255 (GTSM, RFC 5082).
      socket.setTTL(255);
      return socket;
    }
    socket.close();
  }
  throw new UserError(`no free BFD source port on ${localAddress} in ${SOURCE_PORT_MIN}-${SOURCE_PORT_MAX}`);
}
