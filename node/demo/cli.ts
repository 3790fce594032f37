import { Command } from 'commander';
import { action } from '../../common/cli.js';
import { UserError } from '../../common/errors.js';
import { describeDemo, startDemo } from './demo.js';
import { isAlive, readDemoState, removeDemoLeftovers } from './leftovers.js';

/** `garagenet demo`: the mesh on one machine until Ctrl-C; `garagenet demo --down` removes a demo, running or crashed. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('build a whole mesh on this machine (namespaces, registry, joined garages, experiment, looking glass) until Ctrl-C')
    .option('--garages <n>', 'how many garages (at least 2)', '4')
    .option('--no-nat', 'put no garage behind NAT')
    .option('--no-experiment', 'create no experiment')
    .option('--port <port>', 'looking-glass port on localhost', '8080')
    .option('--down', 'stop a running demo and remove everything a demo left behind')
    .action(action(async (o: { garages: string; nat: boolean; experiment: boolean; port: string; down?: boolean }) => {
      const progress = (line: string): void => void process.stderr.write(`${line}\n`);
      if (o.down) return down(progress);
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UserError(`--port "${o.port}" is not a TCP port`, { hint: 'use 1 to 65535' });
      const garages = Number(o.garages);
      if (!Number.isInteger(garages) || garages < 2 || garages > 50) throw new UserError(`--garages "${o.garages}" is not a number of garages`, { hint: 'use 2 to 50' });
      const demo = await startDemo({ garages, nat: o.nat, experiment: o.experiment, port, progress });
      process.stdout.write(describeDemo(demo));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      progress('stopping the demo: removing namespaces, processes and files');
      await demo.stop();
      progress('demo removed');
    }));
}

async function down(progress: (line: string) => void): Promise<void> {
  const state = readDemoState();
  if (state && state.pid !== process.pid && isAlive(state.pid)) {
    // A running demo cleans up after itself; wait for it, bounded, then sweep whatever is left.
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (isAlive(state.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    progress(`stopped the running demo (pid ${state.pid})`);
  }
  const removed = await removeDemoLeftovers();
  if (removed.length > 0) progress(`removed ${removed.length} demo namespaces and their processes`);
  else if (!state) progress('no demo left to remove');
}
