import { Command } from 'commander';
import { action, printJson } from '../../common/cli.js';
import { startInBackground, runningPid } from '../agent/background.js';
import { register } from '../agent/join.js';
import { installService, requireSystemd } from '../agent/service.js';
import { describeNode, peerTable } from './node-output.js';
import { pathsFrom, stateDirOption } from './state-dir-option.js';
import { waitForPeers } from './wait-for-peers.js';

/**
 * `garagenet join JOIN_STRING`: registers this machine with the mesh and
 * brings it up. Like `tailscale up`, it returns once the node is up; the agent
 * keeps running in the background (or under systemd with --service).
 */
export function joinCommand(): Command {
  return new Command('join')
    .description('join a mesh with the join string from its administrator, and bring this node up')
    .argument('<join-string>', 'the string printed by `garagenet registry invite`')
    .addOption(stateDirOption())
    .option('--endpoint <host:port>', 'address peers dial ("none" behind NAT; default: the default route\'s source address, port 51820)')
    .option('--name <name>', 'node name (default: chosen by the registry)')
    .option('--lan <interface>', 'garage LAN interface: gets the first address of the garage allocation')
    .option('--metrics <address:port>', 'where the agent serves Prometheus metrics (loopback; the route daemon uses the next port)', '127.0.0.1:9464')
    .option('--service', 'install and start a systemd unit instead of a background agent')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (joinString: string, o: { stateDir: string; endpoint?: string; name?: string; lan?: string; metrics: string; service?: boolean; json?: boolean }) => {
        const paths = pathsFrom(o);
        const progress = (line: string): void => void process.stderr.write(`${line}\n`);
        if (o.service) requireSystemd();
        const result = await register(paths, joinString, {
          progress, ...(o.endpoint ? { endpoint: o.endpoint } : {}), ...(o.name ? { name: o.name } : {}), ...(o.lan ? { lanInterface: o.lan } : {}), metrics: o.metrics,
        });
        if (result.alreadyJoined) {
          const running = runningPid(paths) !== undefined;
          const line = `already joined: node ${result.identity.node.name} of mesh ${result.identity.mesh.name}; nothing changed${running ? '' : ' (the agent is not running: start it with `garagenet up`)'}`;
          if (o.json) printJson({ alreadyJoined: true, node: result.identity.node.name, mesh: result.identity.mesh.name, running });
          else process.stdout.write(`${line}\n`);
          return;
        }
        const node = result.identity.node;
        progress(`registered as ${node.name}, AS${node.asn}; bringing up loopbacks, tunnels, BGP and BFD`);
        if (o.service) await installService(paths);
        else await startInBackground(paths);
        const status = await waitForPeers(paths, { timeoutMs: 15_000, progress });
        if (o.json) return printJson({ alreadyJoined: false, ...status });
        process.stdout.write(describeNode(status));
        process.stdout.write(peerTable(status.peers));
      }),
    );
}
