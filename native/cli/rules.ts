import { Command } from 'commander';
import { action, formatTable, printJson } from '../../common/cli.js';
import type { DecodedRule } from '../netlink/rule.js';
import { Rtnetlink } from '../rtnetlink.js';

/** `garagenet plane rules`: the policy rules that pick each plane's table. */

export function formatRules(rules: readonly DecodedRule[]): string {
  return formatTable(
    ['priority', 'family', 'selector', 'action', 'owner'],
    rules.map((r) => {
      const selector = [r.from && `from ${r.from}`, r.to && `to ${r.to}`, r.iif && `iif ${r.iif}`, r.fwmark !== undefined && `fwmark 0x${r.fwmark.toString(16)}`]
        .filter(Boolean)
        .join(' ');
      return [String(r.priority), `ipv${r.family}`, selector || 'all', r.action === 'lookup' ? `lookup ${r.table}` : r.action, String(r.protocol)];
    }),
  );
}

export function rulesCommand(): Command {
  return new Command('rules')
    .description('list the policy routing rules')
    .option('--netns <name>', 'network namespace (name or path)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { netns?: string; json?: boolean }) => {
        const rt = Rtnetlink.open(opts.netns === undefined ? {} : { netns: opts.netns });
        try {
          const rules = (await rt.listRules()).sort((a, b) => a.priority - b.priority || a.family - b.family);
          if (opts.json) printJson(rules);
          else process.stdout.write(formatRules(rules));
        } finally {
          rt.close();
        }
      }),
    );
}
