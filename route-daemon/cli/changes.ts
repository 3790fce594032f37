import { Command } from 'commander';
import { action, formatTable, printJson } from '../../common/cli.js';
import { planeOption, withClient } from './client.js';

/** `garagenet bgp changes`: the last best-route changes of a plane, newest first. */
export function changesCommand(): Command {
  return new Command('changes')
    .description('recent best-route changes of a plane, newest first')
    .option('--plane <plane>', 'production or experimental', planeOption, 'production')
    .option('--limit <n>', 'how many (at most 1000)', Number, 20)
    .option('--json', 'print JSON')
    .action(action(async (options: { plane: string; limit: number; json?: boolean }, command: Command) => {
      const changes = await withClient(command, (c) => c.routeChanges({ plane: options.plane, limit: options.limit }));
      if (options.json) return printJson(changes);
      const rows = changes.map((c) => [
        new Date(c.timeUnixMs).toISOString(), c.kind, c.prefix, c.peer, c.nextHop || '-',
        c.asPath.map((s) => (s.type === 'sequence' ? s.asns.join(' ') : `{${s.asns.join(',')}}`)).join(' ') || '-',
      ]);
      process.stdout.write(formatTable(['TIME', 'KIND', 'PREFIX', 'PEER', 'NEXT HOP', 'AS PATH'], rows));
    }));
}
