import { oneLine } from '../../common/errors.js';
import { createLogger } from '../../common/log.js';
import { createTunnelInterface, deleteTunnelInterface } from '../wireguard/tunnel-interface.js';
import { replacePeerKey, setPeer, type PeerSettings, type WgTarget } from '../wireguard/wg.js';
import { planTunnelChanges, type TunnelChange, type TunnelSpec } from './plan.js';

export interface ReconcileError {
  peer: string;
  change: TunnelChange['kind'];
  message: string;
}

export interface ReconcileResult {
  /** The tunnels now in place (what to pass as `current` next time). */
  current: TunnelSpec[];
  applied: TunnelChange[];
  errors: ReconcileError[];
}

const log = createLogger('tunnels');

function peerSettings(spec: TunnelSpec): PeerSettings {
  return {
    publicKey: spec.peerPublicKey,
    ...(spec.endpoint === null ? {} : { endpoint: spec.endpoint }),
    // One interface per peer: routes pick the interface, so the peer may carry any address.
    allowedIps: ['0.0.0.0/0', '::/0'],
    persistentKeepalive: spec.keepalive,
  };
}

/**
 * Brings the node's tunnels from `current` to `desired`, one peer at a time:
 * a failure for one peer is reported and does not stop the others, and
 * tunnels that did not change are not touched at all.
 */
export async function reconcileTunnels(
  current: TunnelSpec[],
  desired: TunnelSpec[],
  options: { netns?: string; privateKeyFile: string },
): Promise<ReconcileResult> {
  const state = new Map(current.map((spec) => [spec.peer, spec]));
  const applied: TunnelChange[] = [];
  const errors: ReconcileError[] = [];
  const netns = options.netns === undefined ? {} : { netns: options.netns };
  const create = async (spec: TunnelSpec): Promise<void> => {
    await createTunnelInterface(spec.interfaceName, {
      ...netns,
      privateKeyFile: options.privateKeyFile,
      listenPort: spec.listenPort,
      addresses: spec.addresses,
      peer: peerSettings(spec),
    });
    state.set(spec.peer, spec);
  };
  const remove = async (spec: TunnelSpec): Promise<void> => {
    await deleteTunnelInterface({ name: spec.interfaceName, ...netns });
    state.delete(spec.peer);
  };
  for (const change of planTunnelChanges(current, desired)) {
    const peerLog = log.child({ peer: change.spec.peer });
    const target: WgTarget = { interfaceName: change.spec.interfaceName, ...netns };
    try {
      switch (change.kind) {
        case 'create':
          await create(change.spec);
          break;
        case 'delete':
          await remove(change.spec);
          break;
        case 'recreate':
          await remove(change.from);
          await create(change.spec);
          break;
        case 'replace-key':
          await replacePeerKey(target, { oldPublicKey: change.from.peerPublicKey, peer: peerSettings(change.spec) });
          state.set(change.spec.peer, change.spec);
          break;
        case 'update-peer':
          await setPeer(target, peerSettings(change.spec));
          state.set(change.spec.peer, change.spec);
          break;
      }
      applied.push(change);
      peerLog.info({ change: change.kind, interface: change.spec.interfaceName }, 'tunnel changed');
    } catch (err) {
      errors.push({ peer: change.spec.peer, change: change.kind, message: oneLine(err) });
      peerLog.warn({ change: change.kind, err: oneLine(err) }, 'tunnel change failed');
    }
  }
  return { current: [...state.values()], applied, errors };
}
