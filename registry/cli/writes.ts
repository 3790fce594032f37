import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { Command } from 'commander';
import { action, printJson } from '../../common/cli.js';
import { UserError } from '../../common/errors.js';
import { LIMIT_RANGES } from '../experiment-limits.js';
import { positiveInt, withAdmin } from './context.js';
import { parseDuration } from './duration.js';
import { experimentLogCommand, orgListCommand, viewerListCommand } from './reads.js';

/** Administrator verbs that change the registry. */

function maxMbits(text: string): number {
  const value = positiveInt('--max-mbits', text);
  const { min, max } = LIMIT_RANGES.maxMbits;
  if (value < min || value > max) throw new UserError(`--max-mbits ${value} is outside ${min}..${max} Mbit/s`, { hint: `the default is ${LIMIT_RANGES.maxMbits.default}` });
  return value;
}

export function inviteCommand(): Command {
  return new Command('invite')
    .description('create a single-use invitation and print its join string')
    .requiredOption('--org <name>', 'organization the new node belongs to')
    .option('--expires <duration>', 'how long the join string stays valid (e.g. 30m, 24h, 7d)', '24h')
    .option('--json', 'print as JSON')
    .action(
      action(async (o: { org: string; expires: string; json?: boolean }, cmd: Command) => {
        const expiresInSeconds = parseDuration('--expires', o.expires);
        const res = await withAdmin(cmd, (c) => c.createInvitation({ organization: o.org, expiresInSeconds }));
        if (o.json) return printJson(res);
        process.stderr.write(`invitation ${res.invitation.id} for ${o.org}, valid until ${res.invitation.expiresAt}; on the node run:\n`);
        process.stdout.write(`${res.joinString}\n`);
      }),
    );
}

export function orgCommand(): Command {
  const org = new Command('org').description('organizations (members of the mesh)');
  org
    .command('add')
    .description('add an organization')
    .argument('<name>')
    .option('--description <text>', 'one line about it', '')
    .option('--json', 'print as JSON')
    .action(
      action(async (name: string, o: { description: string; json?: boolean }, cmd: Command) => {
        const created = await withAdmin(cmd, (c) => c.createOrganization({ name, description: o.description }));
        if (o.json) return printJson(created);
        process.stdout.write(`organization ${created.name} added\n`);
      }),
    );
  org.addCommand(orgListCommand());
  return org;
}

export function nodeCommand(): Command {
  const node = new Command('node').description('nodes of the mesh');
  node
    .command('remove')
    .description('remove a node and release everything it holds (its addresses, ASN, authorizations, credential)')
    .argument('<name>')
    .action(
      action(async (name: string, _o: unknown, cmd: Command) => {
        const released = await withAdmin(cmd, (c) => c.removeNode(name));
        process.stdout.write(`node ${name} removed; released ${released.join(' ')}\n`);
      }),
    );
  return node;
}

export function authorizationCommand(): Command {
  const auth = new Command('authorization').description('route authorizations (like RPKI ROAs)');
  auth
    .command('add')
    .description('authorize an origin ASN to announce a prefix in a plane')
    .argument('<prefix>')
    .requiredOption('--origin <asn>', 'origin ASN')
    .requiredOption('--plane <plane>', 'production or experimental')
    .option('--max-length <n>', 'longest prefix length allowed (default: the prefix length)')
    .option('--json', 'print as JSON')
    .action(
      action(async (prefix: string, o: { origin: string; plane: string; maxLength?: string; json?: boolean }, cmd: Command) => {
        const created = await withAdmin(cmd, (c) =>
          c.addAuthorization({ prefix, plane: o.plane, originAsn: positiveInt('--origin', o.origin.replace(/^AS/i, '')), maxLength: positiveInt('--max-length', o.maxLength) }),
        );
        if (o.json) return printJson(created);
        process.stdout.write(`authorized ${created.prefix} le ${created.maxLength} from AS${created.originAsn} in ${created.plane}\n`);
      }),
    );
  return auth;
}

export function experimentCommand(): Command {
  const exp = new Command('experiment').description('experiments on the experimental plane');
  exp
    .command('create')
    .description('register an experiment: allocates experimental space and an ASN, with guard-rail limits')
    .requiredOption('--name <name>', 'the experiment\'s name')
    .requiredOption('--owner <org>', 'organization running it')
    .option('--node <name>', 'node hosting the researcher router')
    .option('--description <text>', 'one line about it', '')
    .option('--prefix-len <n>', `IPv4 length of its space, ${LIMIT_RANGES.prefixLength.min}..${LIMIT_RANGES.prefixLength.max} (IPv6: a /64)`, String(LIMIT_RANGES.prefixLength.default))
    .option('--max-prefixes <n>', 'most prefixes it may announce', String(LIMIT_RANGES.maxPrefixes.default))
    .option('--max-updates-per-minute <n>', 'most BGP updates per minute before its prefixes are damped', String(LIMIT_RANGES.maxUpdatesPerMinute.default))
    .option('--max-mbits <n>', `Mbit/s its router may send into the mesh, ${LIMIT_RANGES.maxMbits.min}..${LIMIT_RANGES.maxMbits.max} (more is dropped where it enters)`, String(LIMIT_RANGES.maxMbits.default))
    .option('--expires <duration>', 'how long it runs (e.g. 12h, 7d)', '7d')
    .option('--json', 'print as JSON')
    .action(
      action(async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
        const created = await withAdmin(cmd, (c) =>
          c.createExperiment({
            name: o.name as string,
            owner: o.owner as string,
            description: o.description as string,
            prefixLength: positiveInt('--prefix-len', o.prefixLen as string),
            maxPrefixes: positiveInt('--max-prefixes', o.maxPrefixes as string),
            maxUpdatesPerMinute: positiveInt('--max-updates-per-minute', o.maxUpdatesPerMinute as string),
            maxMbits: maxMbits(o.maxMbits as string),
            durationSeconds: parseDuration('--expires', o.expires as string),
            ...(o.node ? { node: o.node as string } : {}),
          }),
        );
        if (o.json) return printJson(created);
        process.stdout.write(`experiment ${created.name}: AS${created.asn}, ${created.prefixes.join(' ')}, at most ${created.maxMbits} Mbit/s, until ${created.expiresAt}\n`);
      }),
    );
  for (const [verb, state] of [['stop', 'stopped'], ['start', 'active']] as const) {
    exp
      .command(verb)
      .description(`mark an experiment ${state}`)
      .argument('<name>')
      .action(
        action(async (name: string, _o: unknown, cmd: Command) => {
          const updated = await withAdmin(cmd, (c) => c.setExperimentState(name, state));
          process.stdout.write(`experiment ${updated.name} ${updated.state}\n`);
        }),
      );
  }
  exp.addCommand(experimentLogCommand());
  return exp;
}

/** Creates `file` (mode 0600, refusing one that exists) before the credential exists, so a bad path costs no viewer. */
function openCredentialFile(file: string): number {
  try {
    return openSync(file, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'EEXIST' ? 'remove it or choose another --out; a credential is never overwritten' : undefined;
    throw new UserError(`cannot create ${file}: ${code === 'EEXIST' ? 'it already exists' : (err as Error).message}`, hint ? { hint } : {});
  }
}

export function viewerCommand(): Command {
  const viewer = new Command('viewer').description('read-only credentials (the public view and audit logs only), for the looking glass');
  viewer
    .command('add')
    .description('create a viewer credential; it is shown (or written) this once')
    .argument('<name>')
    .option('--out <file>', 'write the credential to this new file (mode 0600) instead of printing it')
    .option('--json', 'print as JSON')
    .action(
      action(async (name: string, o: { out?: string; json?: boolean }, cmd: Command) => {
        const fd = o.out === undefined ? null : openCredentialFile(o.out);
        let written = false;
        try {
          const { viewer: created, credential } = await withAdmin(cmd, async (c) => {
            const made = await c.createViewer(name);
            if (fd === null) return made;
            try {
              writeSync(fd, `${made.credential}\n`);
            } catch (err) {
              // A credential nobody holds is of no use: take the viewer back.
              await c.removeViewer(name).catch(() => undefined);
              throw new UserError(`cannot write ${o.out}: ${(err as Error).message}; viewer ${name} was not kept`);
            }
            written = true;
            return made;
          });
          if (o.json) printJson(fd === null ? { viewer: created, credential } : { viewer: created, file: o.out });
          else if (fd !== null) process.stdout.write(`viewer ${created.name} added; credential written to ${o.out}\n`);
          else {
            process.stderr.write(`viewer ${created.name} added; its credential is shown this once (give it to the looking glass in a file of mode 0600):\n`);
            process.stdout.write(`${credential}\n`);
          }
        } finally {
          if (fd !== null) {
            closeSync(fd);
            if (!written) rmSync(o.out!, { force: true });
          }
        }
      }),
    );
  viewer.addCommand(viewerListCommand());
  viewer
    .command('remove')
    .description('remove a viewer: its credential is refused from then on')
    .argument('<name>')
    .action(
      action(async (name: string, _o: unknown, cmd: Command) => {
        const removed = await withAdmin(cmd, (c) => c.removeViewer(name));
        process.stdout.write(`viewer ${removed.name} removed\n`);
      }),
    );
  return viewer;
}
