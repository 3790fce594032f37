import { Command } from 'commander';
import { announceCommand } from './announce.js';
import { changesCommand } from './changes.js';
import { daemonCommand } from './daemon.js';
import { neighborsCommand } from './neighbors.js';
import { routesCommand } from './routes.js';
import { softResetCommand } from './soft-reset.js';
import { summaryCommand } from './summary.js';
import { withdrawCommand } from './withdraw.js';

/** `garagenet bgp ...`: a thin client of the route daemon's control API (proto/routed.proto). */
export function bgpCommand(): Command {
  return new Command('bgp')
    .description("the node's BGP speaker: neighbors, routes, local announcements")
    .option('--socket <address>', 'control socket or 127.0.0.1:PORT (default: $GARAGENET_ROUTED or /run/garagenet/routed.sock)')
    .addCommand(neighborsCommand())
    .addCommand(summaryCommand())
    .addCommand(routesCommand())
    .addCommand(changesCommand())
    .addCommand(announceCommand())
    .addCommand(withdrawCommand())
    .addCommand(softResetCommand())
    .addCommand(daemonCommand());
}
