import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { tunnelsFile } from '../state/layout.js';
import { readStateFile, writeStateFile } from '../state/state-file.js';
import { run } from '../system/run.js';
import { reconcileTunnels } from '../tunnels/apply.js';
import type { TunnelSpec } from '../tunnels/plan.js';
import { keepPresentTunnels } from '../tunnels/present.js';
import type { WireguardDump } from '../wireguard/dump.js';
import { deleteTunnelInterface } from '../wireguard/tunnel-interface.js';
import { setInterfaceKey, showDump } from '../wireguard/wg.js';
import { KEEPALIVE_SECONDS, type TunnelPlan } from './peer-plan.js';
import { PLANE_TABLES } from './routing.js';

/**
 * The agent's tunnels, one peer at a time, on top of node/tunnels (which
 * plans and applies the smallest change per peer and adopts the tunnels
 * that outlived an agent restart, listed in tunnels.json). Here: feeding it
 * one peer's change at a time, and the host routes to that peer's loopbacks.
 */

/** Owner tag of the agent's host routes (the route daemon has 201, the isolation 202). */
export const AGENT_ROUTE_PROTOCOL = 203;
/**
 * Host routes to a peer's loopbacks win over any BGP route for the same
 * address (metric 100): the kernel resolves BGP next hops through them, and
 * IPv6 would otherwise give them its default metric 1024.
 */
const HOST_ROUTE_METRIC = 1;

function spec(plan: TunnelPlan): TunnelSpec {
  return {
    peer: plan.peer,
    interfaceName: plan.interfaceName,
    listenPort: plan.listenPort,
    peerPublicKey: plan.publicKey,
    endpoint: plan.endpoint ?? null,
    keepalive: KEEPALIVE_SECONDS,
    addresses: [],
  };
}

async function linkNames(): Promise<string[]> {
  const links = JSON.parse(await run('ip', ['-j', 'link', 'show'])) as { ifname: string }[];
  return links.map((l) => l.ifname);
}

export class Tunnels {
  private current: TunnelSpec[] = [];
  private readonly plansByPeer = new Map<string, TunnelPlan>();

  private constructor(private readonly stateDir: string, private privateKeyFile: string, private readonly log: Logger) {}

  /** The tunnels an earlier run left that still work are adopted as they are. */
  static async open(stateDir: string, privateKeyFile: string, log: Logger): Promise<Tunnels> {
    const tunnels = new Tunnels(stateDir, privateKeyFile, log);
    tunnels.current = await keepPresentTunnels(readStateFile(stateDir, tunnelsFile) ?? []);
    return tunnels;
  }

  /** Creates, updates (endpoint, key) or recreates the peer's tunnel; nothing else is touched. */
  async set(plan: TunnelPlan): Promise<void> {
    const others = this.current.filter((t) => t.peer !== plan.peer);
    const wanted = spec(plan);
    if (others.some((t) => t.listenPort === wanted.listenPort)) {
      // Two peers whose slots give one port: this one listens elsewhere and the peer's side dials in (roaming).
      wanted.listenPort = freePort(others, plan.listenPort);
    }
    await this.reconcile([...others, wanted], plan.peer);
    this.plansByPeer.set(plan.peer, plan);
    await this.setHostRoutes(plan);
  }

  async remove(peer: string): Promise<void> {
    this.plansByPeer.delete(peer);
    await this.reconcile(this.current.filter((t) => t.peer !== peer), peer);
  }

  /** Interfaces with our prefix that no tunnel owns (a peer that left while the agent was away). */
  async removeStrays(prefix: string): Promise<void> {
    const owned = new Set(this.current.map((t) => t.interfaceName));
    for (const name of await linkNames()) {
      if (!name.startsWith(prefix) || owned.has(name)) continue;
      await deleteTunnelInterface({ name });
      this.log.info({ interface: name }, 'removed a tunnel nobody owns');
    }
  }

  async removeAll(): Promise<void> {
    this.plansByPeer.clear();
    await this.reconcile([], undefined);
  }

  /** Loads a new private key into every interface (key rotation: our side first). */
  async setPrivateKey(privateKeyFile: string): Promise<void> {
    this.privateKeyFile = privateKeyFile;
    for (const t of this.current) await setInterfaceKey({ interfaceName: t.interfaceName }, { privateKeyFile, listenPort: t.listenPort });
  }

  peers(): string[] {
    return this.current.map((t) => t.peer);
  }

  interfaceOf(peer: string): string | undefined {
    return this.current.find((t) => t.peer === peer)?.interfaceName;
  }

  async dump(peer: string): Promise<WireguardDump | undefined> {
    const name = this.interfaceOf(peer);
    return name === undefined ? undefined : showDump({ interfaceName: name });
  }

  private async reconcile(desired: TunnelSpec[], peer: string | undefined): Promise<void> {
    const result = await reconcileTunnels(this.current, desired, { privateKeyFile: this.privateKeyFile });
    this.current = result.current;
    await writeStateFile(this.stateDir, tunnelsFile, this.current);
    const failed = result.errors.find((e) => peer === undefined || e.peer === peer);
    if (failed) throw new UserError(`tunnel to ${failed.peer} (${failed.change}): ${failed.message}`);
  }

  private async setHostRoutes(plan: TunnelPlan): Promise<void> {
    for (const route of plan.hostRoutes) {
      const family = route.prefix.includes(':') ? '-6' : '-4';
      await run('ip', [
        family, 'route', 'replace', route.prefix, 'dev', plan.interfaceName, 'table', String(PLANE_TABLES[route.plane]),
        'src', route.source, 'proto', String(AGENT_ROUTE_PROTOCOL), 'metric', String(HOST_ROUTE_METRIC),
      ]);
    }
  }
}

function freePort(taken: readonly TunnelSpec[], from: number): number {
  const used = new Set(taken.map((t) => t.listenPort));
  for (let port = from + 1; port < 65536; port++) if (!used.has(port)) return port;
  for (let port = 1024; port < from; port++) if (!used.has(port)) return port;
  throw new UserError('no free UDP port for another tunnel');
}
