import { UserError } from '../../common/errors.js';
import { run } from '../system/run.js';
import { parseWireguardDump, type WireguardDump } from './dump.js';
import { checkPublicKey } from './keys.js';

/** Where a `wg` command runs: the interface's namespace (kernel WireGuard needs it; wireguard-go does not mind). */
export interface WgTarget {
  interfaceName: string;
  netns?: string;
}

/** The desired configuration of one peer, as `wg set ... peer` takes it. */
export interface PeerSettings {
  publicKey: string;
  /** host:port, or [v6]:port. Omit to let WireGuard learn it from the peer (the NATed side). */
  endpoint?: string;
  allowedIps: string[];
  /** Seconds between keepalives, for a node behind NAT; 0 or omitted turns them off. */
  persistentKeepalive?: number;
}

function checkEndpoint(endpoint: string, where: string): void {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(endpoint);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new UserError(`${where}: bad endpoint ${JSON.stringify(endpoint)}`, { hint: 'use host:port or [ipv6]:port' });
  }
}

/** The arguments of `wg set` that describe one peer (pure, so it is checked without running anything). */
export function peerArgs(peer: PeerSettings): string[] {
  const where = `peer ${peer.publicKey.slice(0, 8)}`;
  checkPublicKey(peer.publicKey, where);
  const args = ['peer', peer.publicKey];
  if (peer.endpoint !== undefined) {
    checkEndpoint(peer.endpoint, where);
    args.push('endpoint', peer.endpoint);
  }
  args.push('allowed-ips', peer.allowedIps.join(','));
  const keepalive = peer.persistentKeepalive ?? 0;
  if (!Number.isInteger(keepalive) || keepalive < 0 || keepalive > 65535) {
    throw new UserError(`${where}: persistent keepalive must be 0..65535 seconds, got ${keepalive}`);
  }
  args.push('persistent-keepalive', keepalive === 0 ? 'off' : String(keepalive));
  return args;
}

function wg(target: WgTarget, args: string[]): Promise<string> {
  return run('wg', args, target.netns === undefined ? {} : { netns: target.netns });
}

/** Loads the private key from its 0600 file (the key never appears in argv) and sets the listen port. */
export async function setInterfaceKey(target: WgTarget, options: { privateKeyFile: string; listenPort?: number }): Promise<void> {
  const args = ['set', target.interfaceName, 'private-key', options.privateKeyFile];
  if (options.listenPort !== undefined) args.push('listen-port', String(options.listenPort));
  await wg(target, args);
}

/** Adds a peer or updates it in place (`wg set` replaces the allowed IPs with the given list). */
export async function setPeer(target: WgTarget, peer: PeerSettings): Promise<void> {
  await wg(target, ['set', target.interfaceName, ...peerArgs(peer)]);
}

export async function removePeer(target: WgTarget, publicKey: string): Promise<void> {
  await wg(target, ['set', target.interfaceName, 'peer', checkPublicKey(publicKey, 'peer to remove'), 'remove']);
}

/**
 * Swaps a peer's old public key for its new one, make-before-break, in three
 * `wg set` steps:
 *   1. the new key joins as a peer with no allowed IPs (running, routing nothing);
 *   2. the allowed IPs move to it, each prefix re-pointed in place;
 *   3. the old key goes.
 * The single transaction `peer OLD remove peer NEW ...` looked atomic but was
 * not: wireguard-go starts a peer only at the end of its section, so a packet
 * routed in between (old peer gone, new one not yet running) was dropped, about
 * one rotation in seven with 1 ms probes on a loaded machine. After step 2
 * nothing new reaches the old peer, and by step 3 its queue has drained.
 *
 * The whole rotation, as measured on wireguard-go: the rotating node loads its
 * new key first (`setInterfaceKey`); its outgoing packets then wait in
 * WireGuard's staging queue (128 per peer) while its handshake is refused, and
 * it still decrypts the old session. The peer then swaps the key here; at
 * step 2 its next packet starts a handshake that the rotating node accepts, and
 * the staged packets flow. The peer must follow within the staging window
 * (about 100 ms at 1,000 packets/s). The other order — the peer first — drops
 * the rotating node's packets in between: the old session's key is gone at the
 * peer (bench/key-rotation measures both orders side by side).
 */
export async function replacePeerKey(target: WgTarget, options: { oldPublicKey: string; peer: PeerSettings }): Promise<void> {
  const old = checkPublicKey(options.oldPublicKey, 'old peer key');
  await setPeer(target, { ...options.peer, allowedIps: [] });
  await setPeer(target, options.peer);
  await removePeer(target, old);
}

/** The interface's public state: its public key and port, and each peer's endpoint, handshake and transfer. */
export async function showDump(target: WgTarget): Promise<WireguardDump> {
  return parseWireguardDump(await wg(target, ['show', target.interfaceName, 'dump']));
}
