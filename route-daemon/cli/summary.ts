import { Command } from 'commander';
import { action, formatTable, printJson } from '../../common/cli.js';
import { withClient } from './client.js';

/** `garagenet bgp summary`: route and attribute-set counts per plane. */
export function summaryCommand(): Command {
  return new Command('summary')
    .description('route counts per plane')
    .option('--json', 'print JSON')
    .action(action(async (options: { json?: boolean }, command: Command) => {
      const planes = await withClient(command, (c) => c.summary());
      if (options.json) return printJson(planes);
      const rows = planes.map((p) => [p.plane, String(p.ipv4Routes), String(p.ipv6Routes), String(p.paths), String(p.attributeSets)]);
      process.stdout.write(formatTable(['PLANE', 'IPV4', 'IPV6', 'PATHS', 'ATTRIBUTE SETS'], rows));
    }));
}
