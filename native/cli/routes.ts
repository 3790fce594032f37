import { Command } from 'commander';
import { action, formatTable, printJson } from '../../common/cli.js';
import { UserError } from '../../common/errors.js';
import { Rtnetlink, type InstalledRoute } from '../rtnetlink.js';

/** `garagenet plane routes --table N`: what a kernel table holds, with each route's owner. */

export function formatRoutes(routes: readonly InstalledRoute[]): string {
  return formatTable(
    ['prefix', 'type', 'via', 'dev', 'metric', 'owner'],
    routes.map((r) => [r.prefix, r.type, r.gateway ?? '-', r.device ?? '-', String(r.metric), String(r.protocol)]),
  );
}

export function parseTable(text: string): number {
  const table = Number(text);
  if (!/^\d+$/.test(text) || table < 1 || table > 0xffffffff) {
    throw new UserError(`--table ${text} is not a routing table number`, { hint: 'tables are numbered 1 to 4294967295' });
  }
  return table;
}

export function routesCommand(): Command {
  return new Command('routes')
    .description('list the routes of one kernel table (all owners)')
    .requiredOption('--table <number>', 'routing table')
    .option('--netns <name>', 'network namespace (name or path)')
    .option('--owner <protocol>', 'only routes with this owner tag (rtm_protocol)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { table: string; netns?: string; owner?: string; json?: boolean }) => {
        const table = parseTable(opts.table);
        const rt = Rtnetlink.open(opts.netns === undefined ? {} : { netns: opts.netns });
        try {
          const routes = (await rt.listRoutes(table)).filter((r) => opts.owner === undefined || String(r.protocol) === opts.owner);
          if (opts.json) printJson(routes);
          else process.stdout.write(formatRoutes(routes));
        } finally {
          rt.close();
        }
      }),
    );
}
