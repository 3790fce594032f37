import { Command } from 'commander';
import { action, printJson } from '../../common/cli.js';
import { UserError } from '../../common/errors.js';
import { DEFAULT_POOLS } from '../address-plan.js';
import { initState } from '../state.js';
import { certPin } from '../tls.js';
import { groupOptions } from './context.js';

function parseAsns(text: string): { asnFirst: number; asnLast: number } {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (!m) throw new UserError(`--asns "${text}" is not a range`, { hint: 'write it FIRST-LAST, e.g. 4200000000-4200099999' });
  return { asnFirst: Number(m[1]), asnLast: Number(m[2]) };
}

export function initCommand(): Command {
  return new Command('init')
    .description('create a mesh: its name, address pools, ASN pool, TLS identity and administrator credential')
    .requiredOption('--name <name>', 'mesh name')
    .option('--address <host:port>', 'address nodes dial (written into join strings)', '127.0.0.1:7443')
    .option('--production-v4 <prefix>', 'production IPv4 pool', DEFAULT_POOLS.productionV4)
    .option('--production-v6 <prefix>', 'production IPv6 pool', DEFAULT_POOLS.productionV6)
    .option('--experimental-v4 <prefix>', 'experimental IPv4 pool (disjoint from production)', DEFAULT_POOLS.experimentalV4)
    .option('--experimental-v6 <prefix>', 'experimental IPv6 pool (disjoint from production)', DEFAULT_POOLS.experimentalV6)
    .option('--asns <first-last>', 'private 4-byte ASN pool', `${DEFAULT_POOLS.asnFirst}-${DEFAULT_POOLS.asnLast}`)
    .option('--json', 'print the result as JSON')
    .action(
      action(async (o: Record<string, string | boolean>, command: Command) => {
        const { state: dir } = groupOptions(command);
        const state = await initState(dir, {
          name: o.name as string,
          address: o.address as string,
          pools: {
            productionV4: o.productionV4 as string,
            productionV6: o.productionV6 as string,
            experimentalV4: o.experimentalV4 as string,
            experimentalV6: o.experimentalV6 as string,
            ...parseAsns(o.asns as string),
          },
        });
        const result = { stateDir: dir, mesh: state.mesh, address: state.address, pin: certPin(state.certPem) };
        if (o.json) return printJson(result);
        process.stdout.write(
          `mesh ${state.mesh.name} created in ${dir}\n` +
            `  production    ${state.mesh.productionV4} ${state.mesh.productionV6}\n` +
            `  experimental  ${state.mesh.experimentalV4} ${state.mesh.experimentalV6}\n` +
            `  ASNs          ${state.mesh.asnFirst}-${state.mesh.asnLast}\n` +
            `  certificate   ${result.pin}\n` +
            `next: garagenet registry serve --state ${dir}\n`,
        );
      }),
    );
}
