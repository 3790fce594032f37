import { rm } from 'node:fs/promises';
import { Command } from 'commander';
import { action } from '../../common/cli.js';
import { oneLine, UserError } from '../../common/errors.js';
import { RegistryClient } from '../../registry/client.js';
import { runningPid, stopAgent } from '../agent/background.js';
import { loadCredential, loadIdentity } from '../state/layout.js';
import { tearDownNode } from '../agent/teardown.js';
import { pathsFrom, stateDirOption } from './state-dir-option.js';

/**
 * `garagenet leave`: deregisters the node (peers drop their tunnels to it
 * from the watch stream), takes everything down and empties the state
 * directory. `--local` skips the registry when it is gone for good.
 */
export function leaveCommand(): Command {
  return new Command('leave')
    .description('leave the mesh: deregister, remove tunnels, sessions and routes, and forget the identity')
    .addOption(stateDirOption())
    .option('--local', 'do not tell the registry (it is gone, or removed this node already)')
    .action(
      action(async (o: { stateDir: string; local?: boolean }) => {
        const paths = pathsFrom(o);
        const identity = loadIdentity(paths);
        if (!o.local) {
          const client = new RegistryClient(identity.registry.address, { certPem: identity.registry.certPem, credential: loadCredential(paths), timeoutMs: 8000 });
          try {
            const released = await client.leave();
            process.stderr.write(`deregistered ${identity.node.name}; released ${released.join(' ')}\n`);
          } catch (err) {
            throw new UserError(`the registry did not take the leave: ${oneLine(err)}; nothing changed`, { hint: 'retry, or use --local if the registry is gone' });
          } finally {
            client.close();
          }
        }
        if (runningPid(paths) !== undefined) await stopAgent(paths);
        else await tearDownNode(paths, identity);
        for (const file of [paths.identity, paths.mesh, paths.credential, paths.tunnels, paths.privateKey, paths.nextPrivateKey, paths.socket, paths.pid]) {
          await rm(file, { force: true });
        }
        process.stdout.write(`node ${identity.node.name} left mesh ${identity.mesh.name}\n`);
      }),
    );
}
