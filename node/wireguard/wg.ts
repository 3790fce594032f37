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

/**
 * The `wg set` commands that swap a peer's old public key for its new one,
 * make-before-break, in order:
 *   1. one command with two sections for the new key: the first adds it with
 *      no allowed IPs, and wireguard-go starts it at the end of that section;
 *      the second moves the allowed IPs to it, each prefix re-pointed in place;
 *   2. the old key goes; nothing new reaches it since step 1, and its queue
 *      has drained.
 * Why not fewer: a single section moves the allowed IPs before the new peer
 * runs, and `peer OLD remove peer NEW ...` removes the old peer before that;
 * either drops a packet routed in between (about one rotation in seven with
 * 1 ms probes, bench/key-rotation). Why not more: a new key known apart from
 * its allowed IPs accepts the rotating node's handshake, and then drops its
 * packets as coming from a source it does not route (a CI run lost two
 * probes so; rotation.ns.test.ts sends a packet after each command).
 */
export function peerKeySwap(interfaceName: string, options: { oldPublicKey: string; peer: PeerSettings }): string[][] {
  const old = checkPublicKey(options.oldPublicKey, 'old peer key');
  return [
    ['set', interfaceName, ...peerArgs({ ...options.peer, allowedIps: [] }), ...peerArgs(options.peer)],
    ['set', interfaceName, 'peer', old, 'remove'],
  ];
}

/**
 * Swaps a peer's key (peerKeySwap). The whole rotation, as measured on
 * wireguard-go: the rotating node loads its new key first (`setInterfaceKey`);
 * its outgoing packets then wait in WireGuard's staging queue (128 per peer)
 * while its handshake is refused, and it still decrypts the old session. The
 * peer then swaps the key here; its next packet starts a handshake that the
 * rotating node accepts, and the staged packets flow. The peer must follow
 * within the staging window (about 100 ms at 1,000 packets/s). The other
 * order — the peer first — drops the rotating node's packets in between: the
 * old session's key is gone at the peer (bench/key-rotation measures both).
 */
export async function replacePeerKey(target: WgTarget, options: { oldPublicKey: string; peer: PeerSettings }): Promise<void> {
  for (const args of peerKeySwap(target.interfaceName, options)) await wg(target, args);
}

/** The interface's public state: its public key and port, and each peer's endpoint, handshake and transfer. */
export async function showDump(target: WgTarget): Promise<WireguardDump> {
  return parseWireguardDump(await wg(target, ['show', target.interfaceName, 'dump']));
}
