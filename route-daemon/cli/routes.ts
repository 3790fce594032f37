import { Command } from 'commander';
import { action, formatTable, printJson } from '../../common/cli.js';
import type { RouteMessage } from '../control/messages.js';
import { planeOption, withClient } from './client.js';

/**
 * `garagenet bgp routes [PREFIX|ADDRESS]`: the best route for an address or
 * prefix, or the plane's table streamed page by page with optional filters.
 */
export function routesCommand(): Command {
  return new Command('routes')
    .description('show the routes of a plane, or the best route for a prefix or address')
    .argument('[target]', 'a prefix (exact, else the longest covering one) or an address (longest match)')
    .option('--plane <plane>', 'production or experimental', planeOption, 'production')
    .option('--exact', 'with a prefix: that prefix only, not a covering one')
    .option('--family <family>', 'ipv4 or ipv6')
    .option('--community <asn:value>', 'only routes with this community')
    .option('--large-community <a:b:c>', 'only routes with this large community')
    .option('--origin-as <asn>', 'only routes originated by this AS', Number)
    .option('--peer <name>', 'only routes learned from this neighbor')
    .option('--limit <n>', 'stop after this many routes', Number)
    .option('--json', 'print JSON')
    .action(action(async (target: string | undefined, options: RoutesOptions, command: Command) => {
      if (target) return lookup(command, { ...options, target });
      await list(command, options);
    }));
}

interface RoutesOptions {
  plane: string;
  exact?: boolean;
  family?: string;
  community?: string;
  largeCommunity?: string;
  originAs?: number;
  peer?: string;
  limit?: number;
  json?: boolean;
}

async function lookup(command: Command, options: RoutesOptions & { target: string }): Promise<void> {
  const result = await withClient(command, (c) => c.lookupRoute({ plane: options.plane, query: options.target, exact: options.exact ?? false }));
  if (options.json) return printJson(result.found ? result.route : null);
  if (!result.found || !result.route) {
    process.stdout.write(`no route for ${options.target} in the ${options.plane} plane\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(formatTable(HEADER, rows(result.route)));
}

async function list(command: Command, options: RoutesOptions): Promise<void> {
  await withClient(command, async (c) => {
    const request = {
      plane: options.plane,
      family: options.family ?? '',
      community: options.community ?? '',
      largeCommunity: options.largeCommunity ?? '',
      originAsn: options.originAs ?? 0,
      peer: options.peer ?? '',
      limit: options.limit ?? 0,
    };
    const all: RouteMessage[] = [];
    let printedHeader = false;
    for await (const page of c.listRoutes(request)) {
      if (options.json) {
        all.push(...page.routes);
        continue;
      }
      // Print as pages arrive: a full table takes a while, and this shows it moving.
      const lines = formatTable(HEADER, page.routes.flatMap(rows)).split('\n');
      process.stdout.write(`${(printedHeader ? lines.slice(1) : lines).join('\n')}`);
      printedHeader = true;
    }
    if (options.json) printJson(all);
  });
}

const HEADER = ['PREFIX', '', 'NEXT HOP', 'FROM', 'AS PATH', 'ORIGIN', 'RPKI', 'COMMUNITIES'];

function rows(route: RouteMessage): string[][] {
  return route.paths.map((p) => [
    route.prefix,
    `${p.best ? '*>' : '* '}${p.stale ? 'S' : ''}${p.suppressed ? 'D' : ''}`,
    p.nextHop || 'local',
    p.peer,
    p.asPath.map((s) => (s.type === 'sequence' ? s.asns.join(' ') : `{${s.asns.join(',')}}`)).join(' ') || '-',
    p.origin,
    p.validation,
    [...p.communities, ...p.largeCommunities].join(' ') || '-',
  ]);
}
