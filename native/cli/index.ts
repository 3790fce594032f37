import { Command } from 'commander';
import { countersCommand } from './counters.js';
import { routesCommand } from './routes.js';
import { rulesCommand } from './rules.js';

/** `garagenet plane ...`: read-only views of the kernel forwarding plane. */
export function planeCommand(): Command {
  return new Command('plane')
    .description('kernel forwarding plane: routing tables, policy rules, isolation counters')
    .addCommand(routesCommand())
    .addCommand(rulesCommand())
    .addCommand(countersCommand());
}
