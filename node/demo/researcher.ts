import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAddress, hostAddress, parsePrefix } from '../../common/prefix.js';
import { birdSnippet, type AttachmentPlan } from '../experiments/attachment-plan.js';
import { run } from '../system/run.js';
import { cli } from './mesh-lab.js';

/**
 * The demo's researcher: a real BIRD 2 in its own namespace, attached to a
 * garage with `garagenet experiment attach`, configured with exactly the
 * snippet that verb prints, announcing the experiment's allocation. The
 * namespace carries the demo's prefix, so the demo's teardown removes it and BIRD.
 */

export interface Researcher {
  readonly netns: string;
  readonly plan: AttachmentPlan;
}

export async function attachResearcher(options: {
  topologyId: string; experiment: { name: string; prefixes: string[] }; garage: { netns: string; stateDir: string };
  /** Ends the namespace's name (`<topology>-<suffix>`); "exp" unless given. */
  suffix?: string;
}): Promise<Researcher> {
  const netns = `${options.topologyId}-${options.suffix ?? 'exp'}`;
  await run('ip', ['netns', 'add', netns]);
  await run('ip', ['link', 'set', 'lo', 'up'], { netns });
  const v4 = options.experiment.prefixes.find((p) => !p.includes(':'))!;
  const routerAddress = formatAddress(hostAddress(parsePrefix(v4), 2n));
  const attached = await cli(options.garage.netns, [
    'experiment', 'attach', options.experiment.name, '--router-address', routerAddress, '--netns', netns, '--state-dir', options.garage.stateDir, '--json',
  ]);
  if (attached.code !== 0) throw new Error(`experiment attach: ${attached.stderr.trim()}`);
  const plan = JSON.parse(attached.stdout) as AttachmentPlan;
  const dir = await mkdtemp(join(tmpdir(), `${options.topologyId}-bird-`));
  const config = join(dir, 'bird.conf');
  await writeFile(config, `router id ${plan.theirAddress};\nprotocol device {}\n${birdSnippet(plan)}`);
  await run('bird', ['-c', config, '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')], { netns });
  return { netns, plan };
}
