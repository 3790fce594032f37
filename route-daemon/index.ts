/** The route daemon's public surface for other components (node agent, demo, looking glass). */
export { RouteDaemon, type DaemonOptions } from './daemon.js';
export type { NeighborStatus, MessageCounts } from './peering/status.js';
export type { ListenAddress } from './peering/listener.js';
export { describeNotification } from './peering/errors.js';
