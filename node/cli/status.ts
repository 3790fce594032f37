import { Command } from 'commander';
import { action, printJson } from '../../common/cli.js';
import { askAgent } from '../agent/control-socket.js';
import { loadIdentity } from '../state/layout.js';
import type { NodeStatus } from '../agent/status.js';
import { describeNode, peerTable } from './node-output.js';
import { pathsFrom, stateDirOption } from './state-dir-option.js';

/** `garagenet status [--json]`: the node and each peer's tunnel, BFD and BGP state. */
export function statusCommand(): Command {
  return new Command('status')
    .description('show this node and its peers: endpoint, handshake, transfer, latency, BFD and BGP per plane')
    .addOption(stateDirOption())
    .option('--json', 'print the status as JSON')
    .action(
      action(async (o: { stateDir: string; json?: boolean }) => {
        const paths = pathsFrom(o);
        loadIdentity(paths);
        const status = await askAgent<NodeStatus>(paths.socket, 'GET', '/status');
        if (o.json) return printJson(status);
        process.stdout.write(describeNode(status));
        const registry = status.registry.connected ? 'connected' : `unreachable (${status.registry.lastError ?? 'connecting'}); running on the last known mesh`;
        process.stdout.write(`  registry      ${status.registry.address} ${registry}\n\n`);
        process.stdout.write(peerTable(status.peers));
      }),
    );
}
