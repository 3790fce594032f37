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

/** Owner tag of the agent's host routes and rules (the route daemon has 201, the isolation 202). */
export const AGENT_ROUTE_PROTOCOL = 203;
/**
 * The table that BGP and BFD traffic uses (policy rules by port, base-plane.ts):
 * host routes to each peer's loopbacks through that peer's own tunnel only,
 * so a session between two loopbacks never runs through a third garage.
 */
export const SESSION_TABLE = 63;
/**
 * Host routes to a peer's loopbacks in the plane tables. While the tunnel is
 * healthy one of them is ahead of any BGP route for the address (metric 100);
 * when BFD says the tunnel failed it goes, and traffic to the peer's loopback
 * follows BGP through another garage like traffic to the peer's LAN does.
 */
const HOST_ROUTE_METRIC = 1;
/**
 * ...and one stays behind BGP all the time: the kernel resolves BGP next hops
 * (the peer's loopback) only through a link route, and traffic has a way when
 * BGP knows no other. (IPv6 would otherwise give host routes metric 1024.)
 */
const FALLBACK_HOST_ROUTE_METRIC = 200;

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
  /** Peers whose tunnel BFD found failed: their loopbacks are reached the way BGP says. */
  private readonly failed = new Set<string>();

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

  /**
   * BFD's verdict on the peer's tunnel: a failed tunnel stops carrying the
   * traffic to the peer's loopbacks (the sessions and BFD keep using it, to
   * see it come back); a healthy one carries it again.
   */
  async setHealthy(peer: string, healthy: boolean): Promise<void> {
    if (healthy) this.failed.delete(peer);
    else this.failed.add(peer);
    const plan = this.plansByPeer.get(peer);
    if (plan) await this.setHostRoutes(plan);
  }

  async remove(peer: string): Promise<void> {
    this.plansByPeer.delete(peer);
    this.failed.delete(peer);
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

  /** One `ip -batch` per call (the family follows from each prefix): BFD's verdict reaches the kernel in one step. */
  private async setHostRoutes(plan: TunnelPlan): Promise<void> {
    const healthy = !this.failed.has(plan.peer);
    const line = (verb: 'replace' | 'delete', route: TunnelPlan['hostRoutes'][number], table: number, metric: number): string =>
      `route ${verb} ${route.prefix} dev ${plan.interfaceName} table ${table} src ${route.source} proto ${AGENT_ROUTE_PROTOCOL} metric ${metric}`;
    const replace = plan.hostRoutes.flatMap((r) => [
      line('replace', r, SESSION_TABLE, HOST_ROUTE_METRIC),
      line('replace', r, PLANE_TABLES[r.plane], FALLBACK_HOST_ROUTE_METRIC),
      ...(healthy ? [line('replace', r, PLANE_TABLES[r.plane], HOST_ROUTE_METRIC)] : []),
    ]);
    await run('ip', ['-batch', '-'], { input: `${replace.join('\n')}\n` });
    if (!healthy) {
      // -force: a route that is gone already is fine.
      const remove = plan.hostRoutes.map((r) => line('delete', r, PLANE_TABLES[r.plane], HOST_ROUTE_METRIC));
      await run('ip', ['-force', '-batch', '-'], { input: `${remove.join('\n')}\n` }).catch(() => undefined);
    }
  }
}

function freePort(taken: readonly TunnelSpec[], from: number): number {
  const used = new Set(taken.map((t) => t.listenPort));
  for (let port = from + 1; port < 65536; port++) if (!used.has(port)) return port;
  for (let port = 1024; port < from; port++) if (!used.has(port)) return port;
  throw new UserError('no free UDP port for another tunnel');
}
