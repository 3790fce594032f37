import { rename, rm } from 'node:fs/promises';
import { oneLine, UserError } from '../../common/errors.js';
import type { Agent } from './agent.js';
import { createKeyFile, stageIdentity } from '../state/layout.js';
import { writeFailure } from '../state/state-file.js';

/**
 * Replaces the node's WireGuard key without dropping a tunnel, in the order
 * measured on wireguard-go (node/wireguard/wg.ts): this node loads the new key
 * on every interface first, then tells the registry; each peer swaps the key
 * from its watch stream in one `wg set`. The new key and the new node.json
 * are on disk before anything changes (a full disk stops it there); if the
 * registry refuses, the old key goes back at once and nothing changed.
 */
export async function rotateKey(agent: Agent): Promise<{ publicKey: string; peers: number }> {
  return agent.serialize(async () => {
    const { paths, identity } = agent;
    const { publicKey } = await createKeyFile(paths.nextPrivateKey);
    const node = { ...identity.node, previousPublicKey: identity.node.publicKey, publicKey };
    const staged = await stageIdentity(paths, { ...identity, node }).catch(async (err: unknown) => {
      await rm(paths.nextPrivateKey, { force: true });
      throw err;
    });
    try {
      await agent.tunnelSet.setPrivateKey(paths.nextPrivateKey);
      await agent.registry.rotateKey(publicKey);
    } catch (err) {
      await agent.tunnelSet.setPrivateKey(paths.privateKey);
      await rm(paths.nextPrivateKey, { force: true });
      await staged.abort();
      throw new UserError(`key rotation failed, the old key stays: ${oneLine(err)}`, { hint: 'try again when the registry is reachable' });
    }
    await rename(paths.nextPrivateKey, paths.privateKey).catch((err: unknown) => {
      throw writeFailure(paths.privateKey, err);
    });
    await staged.commit();
    identity.node = node;
    await agent.tunnelSet.setPrivateKey(paths.privateKey);
    return { publicKey, peers: agent.peerList().length };
  });
}
