import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A CPU cap for one benchmark process tree: a cgroup of its own with a CFS
 * quota (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us` under the cpu
 * controller). Commands join it before they exec (`wrap`), so every packet they
 * send is paid from the cap; `remove` moves stragglers out and deletes it.
 */

const ROOT = '/sys/fs/cgroup';
const PERIOD_US = 100_000;

export interface CpuCap {
  /** "20% of one core (cgroup v1 cpu.cfs_quota_us 20000 / 100000 us)". */
  readonly description: string;
  /** Prefix for an argv: the command joins the cap, then execs the rest. */
  wrap(argv: readonly string[]): string[];
  /** Periods so far in which the cap stopped the group: proof that it bound. */
  throttled(): Promise<{ periods: number; throttled: number }>;
  remove(): Promise<void>;
}

export async function createCpuCap(name: string, options: { percentOfOneCore: number }): Promise<CpuCap> {
  const quota = Math.round((PERIOD_US * options.percentOfOneCore) / 100);
  const v2 = existsSync(join(ROOT, 'cgroup.controllers'));
  const parent = v2 ? ROOT : join(ROOT, 'cpu');
  if (!existsSync(join(parent, 'cgroup.procs'))) throw new Error(`no cgroup cpu controller at ${parent}: cannot cap the flood sender's CPU (run with --uncapped)`);
  const dir = join(parent, name);
  if (v2) {
    // The cpu controller must be enabled for the root's children; "+cpu" is idempotent.
    const enabled = await readFile(join(ROOT, 'cgroup.subtree_control'), 'utf8');
    if (!enabled.split(/\s+/).includes('cpu')) await writeFile(join(ROOT, 'cgroup.subtree_control'), '+cpu');
  }
  await mkdir(dir);
  const cap: CpuCap = {
    description: `${options.percentOfOneCore}% of one core (cgroup ${v2 ? `v2 cpu.max "${quota} ${PERIOD_US}"` : `v1 cpu.cfs_quota_us ${quota} / cpu.cfs_period_us ${PERIOD_US}`})`,
    wrap: (argv) => ['sh', '-c', `echo $$ > ${join(dir, 'cgroup.procs')} && exec "$@"`, 'sh', ...argv],
    async throttled() {
      const stat = await readFile(join(dir, 'cpu.stat'), 'utf8');
      const value = (key: string): number => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(stat)?.[1] ?? 0);
      return { periods: value('nr_periods'), throttled: value('nr_throttled') };
    },
    async remove() {
      // A process still in the group (a flood cut short) keeps running, outside the cap; the group must be empty to go.
      const left = (await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
      for (const pid of left) await writeFile(join(parent, 'cgroup.procs'), pid).catch(() => undefined);
      await rmdir(dir);
    },
  };
  try {
    if (v2) {
      await writeFile(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
    } else {
      await writeFile(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      await writeFile(join(dir, 'cpu.cfs_quota_us'), String(quota));
    }
  } catch (err) {
    await cap.remove();
    throw err;
  }
  return cap;
}
