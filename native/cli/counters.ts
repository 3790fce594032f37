import { Command } from 'commander';
import { action, formatTable, printJson } from '../../common/cli.js';
import { readCounters, type Counters } from '../isolation/nftables.js';

/** `garagenet plane counters`: what the isolation's nftables rules dropped, marked and limited. */

export function formatCounters(counters: Counters): string {
  return formatTable(
    ['rule', 'packets', 'bytes'],
    Object.entries(counters).map(([rule, c]) => [rule, String(c.packets), String(c.bytes)]),
  );
}

export function countersCommand(): Command {
  return new Command('counters')
    .description('show the plane-isolation counters (spoofed, cross-plane, killed, experimental)')
    .option('--netns <name>', 'network namespace (name or path)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { netns?: string; json?: boolean }) => {
        const counters = await readCounters(opts.netns === undefined ? {} : { netns: opts.netns });
        if (opts.json) printJson(counters);
        else process.stdout.write(formatCounters(counters));
      }),
    );
}
