import { run } from '../system/run.js';
import { showDump } from '../wireguard/wg.js';
import type { TunnelSpec } from './plan.js';

/**
 * After an agent restart: of the tunnels the state directory says were in
 * place, keeps those whose interface still exists and still answers `wg`
 * (they kept forwarding while the agent was away, and are left alone).
 * Tunnels lost meanwhile (a reboot, a killed wireguard-go) are dropped from
 * the list, so that the next reconcile creates them again.
 */
export async function keepPresentTunnels(saved: TunnelSpec[], options: { netns?: string } = {}): Promise<TunnelSpec[]> {
  const netns = options.netns === undefined ? {} : { netns: options.netns };
  const present: TunnelSpec[] = [];
  for (const spec of saved) {
    try {
      await run('ip', ['link', 'show', spec.interfaceName], netns);
      const dump = await showDump({ interfaceName: spec.interfaceName, ...netns });
      if (dump.peers.some((p) => p.publicKey === spec.peerPublicKey)) present.push(spec);
    } catch {
      // gone or not answering: leave it out so that it is made anew
    }
  }
  return present;
}
