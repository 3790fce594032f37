import { Command } from 'commander';
import { action } from '../../common/cli.js';
import { collect, planeOption, withClient } from './client.js';

/** `garagenet bgp announce PREFIX`: originate a prefix this node is authorized for. */
export function announceCommand(): Command {
  return new Command('announce')
    .description('originate a prefix the registry authorizes for this node')
    .argument('<prefix>', 'the prefix, like 10.64.1.0/24')
    .option('--plane <plane>', 'production or experimental', planeOption, 'production')
    .option('--community <asn:value>', 'attach a community (repeatable)', collect, [])
    .option('--large-community <a:b:c>', 'attach a large community (repeatable)', collect, [])
    .action(action(async (prefix: string, options: { plane: string; community: string[]; largeCommunity: string[] }, command: Command) => {
      await withClient(command, (c) => c.announce({ plane: options.plane, prefix, communities: options.community, largeCommunities: options.largeCommunity }));
      process.stdout.write(`announced ${prefix} in the ${options.plane} plane\n`);
    }));
}
