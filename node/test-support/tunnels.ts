import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAddress, parseAddress } from '../../common/prefix.js';
import { generateKeyFile } from '../wireguard/keys.js';
import { createTunnelInterface, deleteTunnelInterface, type TunnelInterface } from '../wireguard/tunnel-interface.js';
import type { Garage, Topology } from './topology.js';

/** One end of a tunnel between two garages of a test topology. */
export interface TunnelEnd {
  garage: Garage;
  interface: TunnelInterface;
  privateKeyFile: string;
  publicKey: string;
  listenPort: number;
  address: string;
  address6: string;
}

export interface Tunnel {
  a: TunnelEnd;
  b: TunnelEnd;
  close(): Promise<void>;
}

/**
 * Joins garages `a` and `b` with one WireGuard interface on each side, the
 * way the agent will: addresses 10.255.<a*16+b>.<2*instance>/31 and fd99:<a>:<b>:<instance>::/64
 * inside, allowed IPs everything (routes choose the interface). A garage
 * behind NAT dials out and keeps the mapping open with keepalives; the other
 * side learns its endpoint from the handshake.
 */
export async function connectGarages(
  topology: Topology,
  a: Garage,
  b: Garage,
  options: { keepalive?: number; /** A second, third... tunnel between the same pair (0-7). */ instance?: number } = {},
): Promise<Tunnel> {
  if (a.natted && b.natted) throw new Error(`garages ${a.index} and ${b.index} are both behind NAT: no direct tunnel`);
  const keys = await mkdtemp(join(tmpdir(), `${topology.id}-keys-`));
  const made: TunnelInterface[] = [];
  const pair = a.index * 16 + b.index;
  const instance = options.instance ?? 0;
  if (!Number.isInteger(instance) || instance < 0 || instance > 7) throw new Error(`tunnel instance ${instance} is outside 0..7`);
  const side = async (self: Garage, other: Garage, n: 0 | 1): Promise<Omit<TunnelEnd, 'interface'>> => {
    const privateKeyFile = join(keys, `${self.index}-${other.index}-${instance}.key`);
    const { publicKey } = await generateKeyFile(privateKeyFile);
    return {
      garage: self,
      privateKeyFile,
      publicKey,
      listenPort: 51000 + 100 * instance + other.index,
      address: `10.255.${pair}.${2 * instance + n}`,
      address6: formatAddress(parseAddress(`fd99:${a.index}:${b.index}:${instance}::${n + 1}`)),
    };
  };
  try {
    const ends = [await side(a, b, 0), await side(b, a, 1)] as const;
    const built: TunnelEnd[] = [];
    for (const [self, other] of [ends, [ends[1], ends[0]]] as const) {
      const dialsOut = !other.garage.natted;
      const iface = await createTunnelInterface(topology.interfaceName(`-${self.garage.index}${other.garage.index}${instance === 0 ? '' : instance}`), {
        netns: self.garage.netns,
        privateKeyFile: self.privateKeyFile,
        listenPort: self.listenPort,
        addresses: [`${self.address}/31`, `${self.address6}/64`],
        peer: {
          publicKey: other.publicKey,
          allowedIps: ['0.0.0.0/0', '::/0'],
          ...(dialsOut ? { endpoint: `${other.garage.publicAddress}:${other.listenPort}` } : {}),
          ...(self.garage.natted ? { persistentKeepalive: options.keepalive ?? 5 } : {}),
        },
      });
      made.push(iface);
      built.push({ ...self, interface: iface });
    }
    const [endA, endB] = built as [TunnelEnd, TunnelEnd];
    return {
      a: endA,
      b: endB,
      async close(): Promise<void> {
        for (const iface of made) await deleteTunnelInterface(iface);
        await rm(keys, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const iface of made) await deleteTunnelInterface(iface);
    await rm(keys, { recursive: true, force: true });
    throw err;
  }
}
