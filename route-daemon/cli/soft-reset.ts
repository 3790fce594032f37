import { Command, Option } from 'commander';
import { action } from '../../common/cli.js';
import { withClient } from './client.js';

/** `garagenet bgp soft-reset NEIGHBOR`: ask for the peer's routes again and/or re-send ours, without dropping the session. */
export function softResetCommand(): Command {
  return new Command('soft-reset')
    .description("re-learn a neighbor's routes (in) and/or re-send ours (out) without closing the session")
    .argument('<neighbor>', 'neighbor name as in garagenet bgp neighbors')
    .addOption(new Option('--direction <direction>', 'in, out or both').choices(['in', 'out', 'both']).default('both'))
    .action(action(async (neighbor: string, options: { direction: 'in' | 'out' | 'both' }, command: Command) => {
      await withClient(command, (c) => c.softReset({ neighbor, direction: options.direction }));
      process.stdout.write(`soft reset (${options.direction}) sent to ${neighbor}\n`);
    }));
}
