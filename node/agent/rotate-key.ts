import { rename, rm } from 'node:fs/promises';
import { oneLine, UserError } from '../../common/errors.js';
import { generateKeyFile } from '../wireguard/keys.js';
import type { Agent } from './agent.js';
import { saveIdentity } from './state-dir.js';

/**
 * Replaces the node's WireGuard key without dropping a tunnel, in the order
 * measured on wireguard-go (node/wireguard/wg.ts): this node loads the new key
 * on every interface first, then tells the registry; each peer swaps the key
 * from its watch stream in one `wg set`. If the registry refuses, the old key
 * goes back at once and nothing changed.
 */
export async function rotateKey(agent: Agent): Promise<{ publicKey: string; peers: number }> {
  return agent.serialize(async () => {
    const { paths, identity } = agent;
    const { publicKey } = await generateKeyFile(paths.nextPrivateKey);
    try {
      await agent.tunnelSet.setPrivateKey(paths.nextPrivateKey);
      await agent.registry.rotateKey(publicKey);
    } catch (err) {
      await agent.tunnelSet.setPrivateKey(paths.privateKey);
      await rm(paths.nextPrivateKey, { force: true });
      throw new UserError(`key rotation failed, the old key stays: ${oneLine(err)}`, { hint: 'try again when the registry is reachable' });
    }
    await rename(paths.nextPrivateKey, paths.privateKey);
    await agent.tunnelSet.setPrivateKey(paths.privateKey);
    identity.node = { ...identity.node, previousPublicKey: identity.node.publicKey, publicKey };
    await saveIdentity(paths, identity);
    return { publicKey, peers: agent.peerList().length };
  });
}
