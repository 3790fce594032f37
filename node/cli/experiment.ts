import { Command } from 'commander';
import { action, formatTable, printJson } from '../../common/cli.js';
import { askAgent } from '../agent/control-socket.js';
import { loadIdentity } from '../state/layout.js';
import { describeAttachment, type AttachmentPlan } from '../experiments/attachment-plan.js';
import type { ExperimentStatus } from '../experiments/attachments.js';
import { pathsFrom, stateDirOption } from './state-dir-option.js';

/** `garagenet experiment attach|status|stop`: a researcher's router on this node, through the running agent. */

function ask<T>(o: { stateDir: string }, verb: string, params: Record<string, string | undefined>): Promise<T> {
  const paths = pathsFrom(o);
  loadIdentity(paths);
  const query = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  return askAgent<T>(paths.socket, 'POST', `/experiment/${verb}?${query.toString()}`, { timeoutMs: 30_000 });
}

export function experimentCommand(): Command {
  const command = new Command('experiment').description("attach, inspect and stop a researcher's router on this node");
  command.command('attach <name>')
    .description("connect the experiment's router: a data link and a BGP session with the experimental plane only")
    .requiredOption('--router-address <addr>', "the researcher's router address, inside the experiment's allocation")
    .option('--netns <ns>', "the researcher's network namespace (a veth is made into it)")
    .option('--iface <if>', 'a local interface the router is already on')
    .addOption(stateDirOption())
    .option('--json', 'print the BGP settings as JSON')
    .action(action(async (name: string, o: { routerAddress: string; netns?: string; iface?: string; stateDir: string; json?: boolean }) => {
      const plan = await ask<AttachmentPlan>(o, 'attach', { name, router: o.routerAddress, netns: o.netns, iface: o.iface });
      if (o.json) return printJson(plan);
      process.stdout.write(`${describeAttachment(plan)}`);
    }));
  command.command('status <name>')
    .description("the experiment's state, limits, session, route counts and recent audit log")
    .addOption(stateDirOption())
    .option('--json', 'print as JSON')
    .action(action(async (name: string, o: { stateDir: string; json?: boolean }) => {
      const s = await ask<ExperimentStatus>(o, 'status', { name });
      if (o.json) return printJson(s);
      const e = s.experiment;
      process.stdout.write([
        `experiment ${e.name}: ${e.state}, AS${e.asn}, ${e.prefixes.join(' ')}, expires ${e.expiresAt || 'never'}`,
        `limits: ${e.maxPrefixes} prefixes, ${e.maxUpdatesPerMinute} updates a minute, ${e.maxMbits} Mbit/s`,
        `session: ${s.session}${s.attachment ? ` with ${s.attachment.theirAddress} on ${s.attachment.interface}` : ' (not attached here)'}`,
        `routes: ${s.accepted} accepted, ${s.rejected} rejected`,
        `audit entries not yet in the registry: ${s.auditPending}${s.auditDropped ? `, ${s.auditDropped} dropped while it was away` : ''}`,
        s.audit ? `audit log (last ${s.audit.length}):` : `audit log: not available (${s.auditError ?? 'unknown'})`,
        ...(s.audit ? [formatTable(['AT', 'NODE', 'EVENT', 'DETAIL'], s.audit.map((a) => [a.at, a.node, a.event, a.detail]))] : []),
      ].join('\n') + '\n');
    }));
  command.command('stop <name>')
    .description('kill switch: withdraw its routes, cut its link, mark it stopped in the registry')
    .addOption(stateDirOption())
    .action(action(async (name: string, o: { stateDir: string }) => {
      const r = await ask<{ attached: boolean; registry: string; registryError?: string }>(o, 'stop', { name });
      process.stdout.write(`experiment ${name} stopped${r.attached ? '; its router is cut off' : ' (it was not attached here)'}\n`);
      if (r.registry !== 'stopped') {
        process.stderr.write(`the registry still lists ${name} as ${r.registry}${r.registryError ? ` (${r.registryError})` : ''}: garagenet registry experiment stop ${name}\n`);
      }
    }));
  return command;
}
