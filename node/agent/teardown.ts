import { createLogger } from '../../common/log.js';
import { Rtnetlink } from '../../native/rtnetlink.js';
import { tearDownBasePlane } from './base-plane.js';
import type { Identity, StatePaths } from '../state/layout.js';
import { Tunnels } from './tunnels.js';

/** Removes what a node made in the kernel when no agent is running (after a crash, on `leave`). */
export async function tearDownNode(paths: StatePaths, identity: Identity): Promise<void> {
  const rt = Rtnetlink.open();
  try {
    const tunnels = await Tunnels.open(paths.dir, paths.privateKey, createLogger('agent'));
    await tunnels.removeAll();
    await tunnels.removeStrays(`gn${identity.interfaceTag}`);
    await tearDownBasePlane(identity, rt);
  } finally {
    rt.close();
  }
}
