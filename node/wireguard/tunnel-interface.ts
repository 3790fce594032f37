import { UserError } from '../../common/errors.js';
import { CommandError, run } from '../system/run.js';
import { startWireguardGo, stopWireguardGo } from './userspace.js';
import { setInterfaceKey, setPeer, type PeerSettings } from './wg.js';

/** Which WireGuard implementation carries an interface. */
export type WireguardImplementation = 'kernel' | 'wireguard-go';

export interface TunnelInterfaceOptions {
  netns?: string;
  privateKeyFile: string;
  listenPort?: number;
  /** Addresses on the interface in CIDR form (both families allowed). */
  addresses?: string[];
  mtu?: number;
  peer?: PeerSettings;
}

export interface TunnelInterface {
  name: string;
  netns: string | undefined;
  implementation: WireguardImplementation;
}

/** Linux interface names are at most 15 bytes; wireguard-go's socket name reuses them. */
export function checkInterfaceName(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name) || name === '.' || name === '..') {
    throw new UserError(`bad interface name ${JSON.stringify(name)}`, { hint: 'use 1 to 15 letters, digits, "_", "-" or "."' });
  }
  return name;
}

function ip(args: string[], netns: string | undefined): Promise<string> {
  return run('ip', args, netns === undefined ? {} : { netns });
}

/**
 * Creates one WireGuard interface (one per peer, DN42 style, so that kernel
 * routes choose the next hop): kernel WireGuard if the kernel has it, else
 * wireguard-go. It is configured only through `wg` and `ip`, and brought up.
 * On any failure, whatever was created is removed again.
 */
export async function createTunnelInterface(name: string, options: TunnelInterfaceOptions): Promise<TunnelInterface> {
  checkInterfaceName(name);
  const netns = options.netns;
  let implementation: WireguardImplementation = 'kernel';
  try {
    await ip(['link', 'add', name, 'type', 'wireguard'], netns);
  } catch (err) {
    if (!(err instanceof CommandError) || !/Unknown device type|Not supported|not supported/i.test(err.stderr)) throw err;
    implementation = 'wireguard-go';
    await startWireguardGo(name, netns === undefined ? {} : { netns });
  }
  const tunnel: TunnelInterface = { name, netns, implementation };
  try {
    const target = { interfaceName: name, ...(netns === undefined ? {} : { netns }) };
    await setInterfaceKey(target, {
      privateKeyFile: options.privateKeyFile,
      ...(options.listenPort === undefined ? {} : { listenPort: options.listenPort }),
    });
    if (options.peer !== undefined) await setPeer(target, options.peer);
    for (const address of options.addresses ?? []) await ip(['address', 'add', address, 'dev', name], netns);
    await ip(['link', 'set', name, 'mtu', String(options.mtu ?? 1420), 'up'], netns);
  } catch (err) {
    await deleteTunnelInterface(tunnel);
    throw err;
  }
  return tunnel;
}

/**
 * Removes the interface and, if wireguard-go carried it, its process and
 * control socket (looked up by name, so this also works after an agent
 * restart that forgot which implementation made it). Safe to call twice.
 */
export async function deleteTunnelInterface(tunnel: { name: string; netns?: string | undefined }): Promise<void> {
  try {
    await ip(['link', 'del', tunnel.name], tunnel.netns);
  } catch (err) {
    if (!(err instanceof CommandError) || !/Cannot find device|does not exist/.test(err.stderr)) throw err;
  }
  await stopWireguardGo(tunnel.name);
}
