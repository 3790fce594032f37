import { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { action } from '../../common/cli.js';
import { planeOption, withClient } from './client.js';

/** `garagenet bgp withdraw PREFIX`: stop originating a prefix. */
export function withdrawCommand(): Command {
  return new Command('withdraw')
    .description('stop originating a prefix')
    .argument('<prefix>', 'the prefix, like 10.64.1.0/24')
    .option('--plane <plane>', 'production or experimental', planeOption, 'production')
    .action(action(async (prefix: string, options: { plane: string }, command: Command) => {
      const withdrawn = await withClient(command, (c) => c.withdraw({ plane: options.plane, prefix }));
      if (!withdrawn) throw new UserError(`${prefix} was not announced in the ${options.plane} plane`, { hint: 'see garagenet bgp routes --peer local' });
      process.stdout.write(`withdrew ${prefix} from the ${options.plane} plane\n`);
    }));
}
