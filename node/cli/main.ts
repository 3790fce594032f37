import { Command } from 'commander';
import { planeCommand } from '../../native/cli/index.js';
import { registryCommand } from '../../registry/cli/index.js';
import { bgpCommand } from '../../route-daemon/cli/index.js';
import { lookingGlassCommand } from '../../looking-glass/cli.js';
import { demoCommand } from '../demo/cli.js';
import { nodeCommands } from './node-commands.js';
import { experimentCommand } from './experiment.js';

/**
 * The `garagenet` command. Each verb (or group of verbs) lives in its own
 * module and adds itself here; a group such as `registry` or `bgp` belongs to
 * the component it drives and is a thin client of that component's API.
 */
export function buildProgram(): Command {
  const program = new Command('garagenet')
    .description('garagenet: an overlay research-and-education network over WireGuard and BGP')
    .version(process.env.npm_package_version ?? '0.1.0', '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `garagenet: ${s}` : s) });
  program.addCommand(planeCommand());
  program.addCommand(registryCommand());
  program.addCommand(bgpCommand());
  program.addCommand(lookingGlassCommand());
  program.addCommand(demoCommand());
  for (const command of nodeCommands()) program.addCommand(command);
  program.addCommand(experimentCommand());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
