import { Command } from 'commander';
import { action, formatTable, printJson } from '../../common/cli.js';
import { formatUptime, planeOption, withClient } from './client.js';

/** `garagenet bgp neighbors`: sessions with state, uptime and route counts. */
export function neighborsCommand(): Command {
  return new Command('neighbors')
    .description('list BGP sessions with state, uptime and counters')
    .option('--plane <plane>', 'only this plane (production or experimental)', planeOption)
    .option('--json', 'print JSON')
    .action(action(async (options: { plane?: string; json?: boolean }, command: Command) => {
      const neighbors = await withClient(command, (c) => c.listNeighbors(options.plane ? { plane: options.plane } : {}));
      if (options.json) return printJson(neighbors);
      const rows = neighbors.map((n) => [
        n.name, n.plane, n.address, String(n.asn), n.state, formatUptime(n.uptimeSeconds),
        String(n.accepted), String(n.advertised), n.stale ? String(n.stale) : '-',
      ]);
      process.stdout.write(formatTable(['NAME', 'PLANE', 'ADDRESS', 'ASN', 'STATE', 'UP', 'ACCEPTED', 'ADVERTISED', 'STALE'], rows));
    }));
}
