import { askAgent } from '../agent/control-socket.js';
import type { StatePaths } from '../state/layout.js';
import type { NodeStatus } from '../agent/status.js';
import { isPeerUp } from './node-output.js';

/**
 * Follows the agent while its peers come up, printing each one as its
 * production session is established; returns the last status once all
 * known peers are up or the time is over.
 */
export async function waitForPeers(paths: StatePaths, options: { timeoutMs: number; progress: (line: string) => void }): Promise<NodeStatus> {
  const shown = new Set<string>();
  const deadline = Date.now() + options.timeoutMs;
  let status = await askAgent<NodeStatus>(paths.socket, 'GET', '/status');
  // Give the first watch a moment to bring the peer list, then follow it.
  const settle = Date.now() + 1500;
  for (;;) {
    for (const peer of status.peers) {
      if (isPeerUp(peer) && !shown.has(peer.name)) {
        shown.add(peer.name);
        options.progress(`peer ${peer.name} (AS${peer.asn}) is up over ${peer.interface}`);
      }
    }
    const allUp = status.peers.length > 0 && status.peers.every(isPeerUp);
    if (allUp || Date.now() > deadline || (status.peers.length === 0 && status.registry.connected && Date.now() > settle)) return status;
    await new Promise((resolve) => setTimeout(resolve, 200));
    status = await askAgent<NodeStatus>(paths.socket, 'GET', '/status');
  }
}
