import { oneLine } from '../../../common/errors.js';
import type { Logger } from '../../../common/log.js';
import { ROUTE_DAEMON_PROTOCOL } from '../../../native/owners.js';
import type { Rtnetlink } from '../../../native/rtnetlink.js';
import type { Node } from '../../../registry/model.js';
import type { RouteDaemon } from '../../../route-daemon/daemon.js';
import { lanAddresses } from '../base-plane.js';
import { PLANE_TABLES } from '../routing.js';
import type { Identity } from '../../state/layout.js';
import type { NodeStatus } from '../status.js';
import { apiListen } from './config.js';
import type { LinkProber } from '../link-prober.js';
import { Prober } from './probes.js';
import { serveAgentApi } from './server.js';
import { AgentApiService } from './service.js';

/** What the running agent hands its API: read access to what it already holds. */
export interface AgentApiOptions {
  readonly stateDir: string;
  readonly identity: Identity;
  readonly daemon: RouteDaemon;
  readonly rt: Rtnetlink;
  readonly log: Logger;
  /** The agent's link probes, for latency and loss per tunnel. */
  readonly links: LinkProber;
  peers(): Node[];
  status(): Promise<NodeStatus>;
}

export interface AgentApi {
  readonly addresses: readonly string[];
  close(): Promise<void>;
}

/**
 * Starts the agent API (proto/agent.proto). Never
 * throws: a broken agent-api.json or a socket that cannot be made is logged,
 * and the node runs on without the API.
 */
export async function startAgentApi(options: AgentApiOptions): Promise<AgentApi | undefined> {
  const log = options.log.child({ component: 'agent-api' });
  const n = options.identity.node;
  const lan = options.identity.lanInterface ? lanAddresses(options.identity).map((a) => a.split('/')[0]!) : [];
  const loopbacks = [n.productionLoopbackV4, n.productionLoopbackV6, n.experimentalLoopbackV4, n.experimentalLoopbackV6];
  const { links } = options;
  const service = new AgentApiService({
    node: n.name,
    mesh: options.identity.mesh,
    probeSources: {
      productionV4: lan.find((a) => !a.includes(':')) ?? n.productionLoopbackV4,
      productionV6: lan.find((a) => a.includes(':')) ?? n.productionLoopbackV6,
      experimentalV4: n.experimentalLoopbackV4,
      experimentalV6: n.experimentalLoopbackV6,
    },
    ownAddresses: [...loopbacks, ...lan],
    tables: PLANE_TABLES,
    routeDaemonProtocol: ROUTE_DAEMON_PROTOCOL,
    peers: options.peers,
    status: options.status,
    linkQuality: (peer) => links.quality(peer),
    routes: (plane) => options.daemon.instance(plane),
    kernelRoutes: (table) => options.rt.listRoutes(table),
  }, new Prober());
  try {
    const server = await serveAgentApi(service, apiListen(options.stateDir), log);
    return {
      addresses: server.addresses,
      close: () => server.close(),
    };
  } catch (err) {
    log.error({ err: oneLine(err) }, 'agent API not served');
    return undefined;
  }
}
