import { UserError } from '../../common/errors.js';
import { parsePrefix, prefixContains } from '../../common/prefix.js';
import { ROUTE_DAEMON_PROTOCOL } from '../owners.js';
import type { RouteChange, Rtnetlink } from '../rtnetlink.js';
import type { IsolationConfig } from './config.js';
import { applyRuleset } from './nftables.js';

export interface KillResult {
  /** The configuration with the experiment marked killed: keep it, or a later apply revives the attachment. */
  readonly config: IsolationConfig;
  readonly routesRemoved: number;
}

/**
 * Cuts one experiment at once: its attachment drops everything both ways (one
 * atomic nftables replace), the attachment link goes down, and every route of
 * the route daemon in the experimental table that points into the attachment
 * or lies inside the experiment's allocation is deleted in one batch.
 */
export async function killExperiment(rt: Rtnetlink, target: { config: IsolationConfig; experiment: string }): Promise<KillResult> {
  const { config, experiment } = target;
  const attachments = config.attachments.filter((a) => a.experiment === experiment);
  if (attachments.length === 0) {
    throw new UserError(`no attachment for experiment "${experiment}" on this node`, {
      hint: `known experiments: ${[...new Set(config.attachments.map((a) => a.experiment))].join(', ') || 'none'}`,
    });
  }
  const next: IsolationConfig = { ...config, killed: [...new Set([...(config.killed ?? []), experiment])] };
  await applyRuleset(next, rt.netns ? { netns: rt.netns } : {});

  // Listed before the link goes down: the kernel flushes routes through a downed device itself.
  const devices = new Set(attachments.map((a) => a.interface));
  const allocations = attachments.flatMap((a) => a.allocations.map((p) => parsePrefix(p)));
  const routes = await rt.listRoutes(config.experimentalTable);
  const doomed: RouteChange[] = routes
    .filter((r) => r.protocol === ROUTE_DAEMON_PROTOCOL)
    .filter((r) => (r.device !== undefined && devices.has(r.device)) || allocations.some((a) => prefixContains(a, parsePrefix(r.prefix))))
    .map((r) => ({ op: 'delete', route: { prefix: r.prefix, metric: r.metric } }));

  const links = new Set((await rt.listLinks()).map((l) => l.name));
  for (const a of attachments) if (links.has(a.interface)) await rt.setLinkUp(a.interface, false);

  const result = await rt.applyRoutes(doomed, { table: config.experimentalTable, protocol: ROUTE_DAEMON_PROTOCOL });
  const stayed = result.failed.filter((f) => f.code !== 'ESRCH');
  if (stayed.length > 0) {
    const f = stayed[0]!;
    throw new UserError(`experiment ${experiment} is cut, but ${stayed.length} route(s) stayed: ${f.route.prefix}: ${f.message}`);
  }
  return { config: next, routesRemoved: doomed.length };
}
