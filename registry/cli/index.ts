import { Command } from 'commander';
import { DEFAULT_STATE_DIR } from '../state.js';
import { initCommand } from './init.js';
import { meshCommand, readCommands } from './reads.js';
import { serveCommand } from './serve.js';
import { authorizationCommand, experimentCommand, inviteCommand, nodeCommand, orgCommand, viewerCommand } from './writes.js';

/** `garagenet registry ...`: run the registry and administer it (a thin client of its gRPC API). */
export function registryCommand(): Command {
  const registry = new Command('registry')
    .description('the registry: shared state of the mesh (init, serve, invitations, allocations, experiments, viewers)')
    .option('--state <dir>', 'registry state directory', DEFAULT_STATE_DIR)
    .option('--registry <host:port>', 'registry address for admin commands (default: from the state directory)');
  registry.addCommand(initCommand());
  registry.addCommand(serveCommand());
  registry.addCommand(inviteCommand());
  registry.addCommand(orgCommand());
  registry.addCommand(nodeCommand());
  registry.addCommand(authorizationCommand());
  registry.addCommand(experimentCommand());
  registry.addCommand(viewerCommand());
  registry.addCommand(meshCommand());
  for (const command of readCommands()) registry.addCommand(command);
  return registry;
}
