import { Command } from 'commander';
import { action, printJson } from '../../common/cli.js';
import { oneLine } from '../../common/errors.js';
import { Agent } from '../agent/agent.js';
import { runningPid, startInBackground } from '../agent/background.js';
import { requirePrerequisites } from '../agent/prerequisites.js';
import { loadIdentity } from '../state/layout.js';
import { describeNode, peerTable } from './node-output.js';
import { pathsFrom, stateDirOption } from './state-dir-option.js';
import { waitForPeers } from './wait-for-peers.js';

/**
 * `garagenet up`: starts a joined node from its state directory (in the
 * background; `--foreground` is what the background process and the systemd
 * unit run). SIGTERM takes the node down; SIGUSR2 exits and leaves the data
 * plane running, for a restart or an upgrade.
 */
export function upCommand(): Command {
  return new Command('up')
    .description('start this node from its state directory')
    .addOption(stateDirOption())
    .option('--foreground', 'run the agent in this process (what the systemd unit runs)')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (o: { stateDir: string; foreground?: boolean; json?: boolean }) => {
        const paths = pathsFrom(o);
        const identity = loadIdentity(paths);
        const pid = runningPid(paths);
        if (pid !== undefined && pid !== process.pid) {
          if (o.foreground) throw new Error(`the agent already runs (pid ${pid})`);
          process.stdout.write(`node ${identity.node.name} is already up (agent pid ${pid}); nothing changed\n`);
          return;
        }
        await requirePrerequisites();
        if (o.foreground) return runForeground(paths);
        await startInBackground(paths);
        const status = await waitForPeers(paths, { timeoutMs: 15_000, progress: (line) => void process.stderr.write(`${line}\n`) });
        if (o.json) return printJson(status);
        process.stdout.write(describeNode(status));
        process.stdout.write(peerTable(status.peers));
      }),
    );
}

async function runForeground(paths: ReturnType<typeof pathsFrom>): Promise<void> {
  let finish: (keepDataPlane: boolean) => void = () => undefined;
  const done = new Promise<boolean>((resolve) => (finish = resolve));
  const agent = await Agent.start(paths, { onStop: () => finish(false) });
  process.once('SIGTERM', () => finish(false));
  process.once('SIGINT', () => finish(false));
  process.once('SIGUSR2', () => finish(true));
  const keepDataPlane = await done;
  try {
    await agent.stop({ keepDataPlane });
  } catch (err) {
    process.stderr.write(`garagenet: stopping: ${oneLine(err)}\n`);
    process.exitCode = 1;
  }
  process.exit();
}
