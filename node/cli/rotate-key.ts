import { Command } from 'commander';
import { action, printJson } from '../../common/cli.js';
import { askAgent } from '../agent/control-socket.js';
import { loadIdentity } from '../state/layout.js';
import { pathsFrom, stateDirOption } from './state-dir-option.js';

/** `garagenet rotate-key`: a new WireGuard key, make-before-break, through the running agent. */
export function rotateKeyCommand(): Command {
  return new Command('rotate-key')
    .description('replace the WireGuard key without dropping a tunnel')
    .addOption(stateDirOption())
    .option('--json', 'print the result as JSON')
    .action(
      action(async (o: { stateDir: string; json?: boolean }) => {
        const paths = pathsFrom(o);
        loadIdentity(paths);
        process.stderr.write('loading the new key on every tunnel, then publishing it\n');
        const result = await askAgent<{ publicKey: string; peers: number }>(paths.socket, 'POST', '/rotate-key');
        if (o.json) return printJson(result);
        process.stdout.write(`new public key ${result.publicKey}; ${result.peers} peer(s) follow through the registry\n`);
      }),
    );
}
