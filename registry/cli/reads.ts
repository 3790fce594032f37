import { Command } from 'commander';
import { action, formatTable, printJson } from '../../common/cli.js';
import type { RegistryClient } from '../client.js';
import { UserError } from '../../common/errors.js';
import { AUDIT_PAGE_MAX } from '../experiment-limits.js';
import { positiveInt, withAdmin } from './context.js';

/**
 * Read verbs: each fetches one list through the registry API and prints it as
 * a table, or with --json as the API's own records (a stable shape).
 */
function readCommand<T>(
  name: string,
  description: string,
  spec: {
    fetch: (client: RegistryClient, args: string[], options: Record<string, string | undefined>) => Promise<T[]>;
    header: string[];
    row: (item: T) => string[];
    args?: string;
    options?: [flags: string, description: string][];
  },
): Command {
  const command = new Command(name).description(description).option('--json', 'print as JSON');
  if (spec.args) command.argument(spec.args);
  for (const [flags, about] of spec.options ?? []) command.option(flags, about);
  return command.action(
    action(async (...params: unknown[]) => {
      const cmd = params[params.length - 1] as Command;
      const options = cmd.opts<Record<string, string | undefined> & { json?: boolean }>();
      const items = await withAdmin(cmd, (client) => spec.fetch(client, cmd.args, options));
      if (options.json) return printJson(items);
      process.stdout.write(formatTable(spec.header, items.map(spec.row)));
    }),
  );
}

export function readCommands(): Command[] {
  return [
    readCommand('nodes', 'list nodes (no secrets) and whether they are online', {
      fetch: (c) => c.listNodes(),
      header: ['NAME', 'ORG', 'ASN', 'LOOPBACK', 'EXP-LOOPBACK', 'ENDPOINTS', 'ONLINE'],
      row: ({ node, online }) => [
        node.name, node.organization, String(node.asn), `${node.productionLoopbackV4} ${node.productionLoopbackV6}`,
        `${node.experimentalLoopbackV4} ${node.experimentalLoopbackV6}`, node.endpoints.join(',') || '-', online ? 'yes' : 'no',
      ],
    }),
    readCommand('allocations', 'list address allocations in both planes', {
      fetch: (c) => c.listAllocations(),
      header: ['PREFIX', 'PLANE', 'PURPOSE', 'HOLDER'],
      row: (a) => [a.prefix, a.plane, a.purpose, `${a.holderKind}/${a.holder}`],
    }),
    readCommand('authorizations', 'list route authorizations (prefix, max length, origin ASN, plane)', {
      fetch: (c) => c.listAuthorizations(),
      header: ['PREFIX', 'MAXLEN', 'ORIGIN', 'PLANE', 'HOLDER'],
      row: (a) => [a.prefix, String(a.maxLength), `AS${a.originAsn}`, a.plane, a.holder || '-'],
    }),
    readCommand('invitations', 'list invitations (never their secrets)', {
      fetch: (c) => c.listInvitations(),
      header: ['ID', 'ORG', 'EXPIRES', 'USED-BY'],
      row: (i) => [i.id, i.organization, i.expiresAt, i.usedBy || '-'],
    }),
    readCommand('experiments', 'list experiments', {
      fetch: (c) => c.listExperiments(),
      header: ['NAME', 'OWNER', 'ASN', 'PREFIXES', 'STATE', 'EXPIRES', 'NODE', 'LIMITS'],
      row: (e) => [
        e.name, e.owner, String(e.asn), e.prefixes.join(' '), e.state, e.expiresAt, e.node || '-',
        `${e.maxPrefixes} prefixes, ${e.maxUpdatesPerMinute} updates/min, ${e.maxMbits} Mbit/s`,
      ],
    }),
  ];
}

export function orgListCommand(): Command {
  return readCommand('list', 'list organizations', {
    fetch: (c) => c.listOrganizations(),
    header: ['NAME', 'DESCRIPTION', 'CREATED'],
    row: (o) => [o.name, o.description || '-', o.createdAt],
  });
}

export function viewerListCommand(): Command {
  return readCommand('list', 'list viewer credentials (names only; never their secrets)', {
    fetch: (c) => c.listViewers(),
    header: ['NAME', 'CREATED'],
    row: (v) => [v.name, v.createdAt],
  });
}

export function experimentLogCommand(): Command {
  return readCommand('log', "show an experiment's audit log, oldest first", {
    args: '<name>',
    options: [['--limit <n>', `only the newest N entries (1..${AUDIT_PAGE_MAX})`]],
    fetch: (c, args, o) => {
      const limit = positiveInt('--limit', o.limit);
      if (limit > AUDIT_PAGE_MAX) throw new UserError(`--limit ${limit} is more than ${AUDIT_PAGE_MAX}`, { hint: 'leave --limit out for the whole log' });
      return c.listAuditLog(args[0]!, limit ? { limit } : {});
    },
    header: ['AT', 'NODE', 'EVENT', 'DETAIL'],
    row: (e) => [e.at, e.node || '-', e.event, e.detail],
  });
}

export function meshCommand(): Command {
  return new Command('mesh')
    .description("show the mesh's name and pools")
    .option('--json', 'print as JSON')
    .action(
      action(async (o: { json?: boolean }, cmd: Command) => {
        const mesh = await withAdmin(cmd, (c) => c.getMesh());
        if (o.json) return printJson(mesh);
        process.stdout.write(
          formatTable(['NAME', 'PRODUCTION', 'EXPERIMENTAL', 'ASNS'], [
            [mesh.name, `${mesh.productionV4} ${mesh.productionV6}`, `${mesh.experimentalV4} ${mesh.experimentalV6}`, `${mesh.asnFirst}-${mesh.asnLast}`],
          ]),
        );
      }),
    );
}
