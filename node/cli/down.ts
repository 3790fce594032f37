import { Command } from 'commander';
import { action } from '../../common/cli.js';
import { stopAgent } from '../agent/background.js';
import { loadIdentity } from '../state/layout.js';
import { tearDownNode } from '../agent/teardown.js';
import { pathsFrom, stateDirOption } from './state-dir-option.js';

/** `garagenet down`: stops the agent and removes its tunnels, sessions and routes; the node stays a member. */
export function downCommand(): Command {
  return new Command('down')
    .description('take this node down (it stays a member of the mesh; `garagenet up` brings it back)')
    .addOption(stateDirOption())
    .action(
      action(async (o: { stateDir: string }) => {
        const paths = pathsFrom(o);
        const identity = loadIdentity(paths);
        if (await stopAgent(paths)) {
          process.stdout.write(`node ${identity.node.name} is down\n`);
          return;
        }
        // No agent (it crashed or was killed): remove whatever it left in the kernel.
        await tearDownNode(paths, identity);
        process.stdout.write(`node ${identity.node.name} was not running; removed what it had left\n`);
      }),
    );
}
