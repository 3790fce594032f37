import { oneLine, UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { parseAddress } from '../../common/prefix.js';
import type { Attachment } from '../../native/isolation/config.js';
import type { RouteDaemon } from '../../route-daemon/daemon.js';
import { experimentAuditEntry } from '../../route-daemon/experiment-audit.js';
import type { PolicyEvent } from '../../route-daemon/routing/plane-instance.js';
import type { RegistryClient } from '../../registry/client.js';
import type { AuditEntry, Experiment } from '../../registry/model.js';
import { run } from '../system/run.js';
import { planAttachment, type AttachmentPlan, type AttachRequest } from './attachment-plan.js';

/**
 * The researcher routers attached to this node: for each, a data link, a
 * route into the experimental table toward it, an isolated attachment, and a
 * BGP peer in the experimental instance only. `stop` is the kill switch.
 */

export interface AttachmentDeps {
  readonly registry: () => RegistryClient;
  readonly daemon: () => RouteDaemon;
  readonly node: { name: string; asn: number };
  readonly experimentalTable: number;
  /** Re-applies plane isolation with these attachments (anti-spoofing, experimental table, killed ones dropped). */
  readonly isolate: (attachments: readonly Attachment[], killed: readonly string[]) => Promise<void>;
  readonly log: Logger;
}

export interface ExperimentStatus {
  experiment: Experiment;
  attachment: AttachmentPlan | null;
  session: string;
  accepted: number;
  rejected: number;
  /** The registry's last entries; null when this credential may not read them. */
  audit: AuditEntry[] | null;
}

const UPDATES_PER_MINUTE_DEFAULT = 60;

async function ip(args: string[]): Promise<string> {
  return run('ip', args);
}

export class Attachments {
  private readonly attached = new Map<string, AttachmentPlan>();
  private readonly killed = new Set<string>();
  private readonly rejected = new Map<string, number>();

  constructor(private readonly deps: AttachmentDeps) {}

  /** For the route daemon's audit hook: every decision about an experiment's routes goes to the registry's log. */
  audit(event: PolicyEvent): void {
    const entry = experimentAuditEntry(event);
    if (!entry) return;
    if (entry.event.includes('.rejected.')) this.rejected.set(entry.experiment, (this.rejected.get(entry.experiment) ?? 0) + 1);
    this.deps.registry().appendAuditLog(entry).catch((err: unknown) => this.deps.log.warn({ experiment: entry.experiment, err: oneLine(err) }, 'audit entry not recorded'));
  }

  private async experiment(name: string): Promise<Experiment> {
    // The public view: a node may not list experiments through the administrator's calls.
    const found = (await this.deps.registry().publicView()).experiments.find((e) => e.name === name);
    if (!found) throw new UserError(`no experiment named ${name} in the registry`, { hint: 'create it with `garagenet registry experiment create`' });
    return found;
  }

  async attach(request: AttachRequest): Promise<AttachmentPlan> {
    if (this.attached.has(request.experiment)) throw new UserError(`experiment ${request.experiment} is already attached here`, { hint: 'stop it first' });
    const plan = planAttachment(await this.experiment(request.experiment), request, this.deps.node);
    const log = this.deps.log.child({ experiment: plan.experiment });
    try {
      await this.link(plan);
      this.killed.delete(plan.experiment);
      this.attached.set(plan.experiment, plan);
      await this.isolate();
      this.deps.daemon().addPeer({
        name: plan.peerName, plane: 'experimental', experiment: plan.experiment,
        address: parseAddress(plan.theirAddress), asn: plan.theirAsn, localAddress: parseAddress(plan.ourAddress),
        port: 179, passive: false, holdTimeSeconds: 90, connectRetrySeconds: 5, gracefulRestart: false, restartTimeSeconds: 120, line: 0,
        ...(plan.maxPrefixes > 0 ? { maxPrefixes: plan.maxPrefixes } : {}),
        maxUpdateRate: (plan.maxUpdatesPerMinute > 0 ? plan.maxUpdatesPerMinute : UPDATES_PER_MINUTE_DEFAULT) / 60,
        maxAsPathLength: 8, maxCommunities: 16,
      });
    } catch (err) {
      // Nothing half-made stays behind.
      this.attached.delete(plan.experiment);
      await this.unlink(plan).catch(() => undefined);
      await this.isolate().catch(() => undefined);
      throw err;
    }
    await this.deps.registry().appendAuditLog({ experiment: plan.experiment, event: 'attached', detail: `router ${plan.theirAddress} AS${plan.theirAsn} on ${plan.interface}` })
      .catch((err: unknown) => log.warn({ err: oneLine(err) }, 'audit entry not recorded'));
    log.info({ interface: plan.interface, router: plan.theirAddress }, 'experiment attached');
    return plan;
  }

  /**
   * The kill switch: the session is cut and its routes withdrawn mesh-wide,
   * the attachment drops everything and its link goes, and the registry
   * records the experiment as stopped (unless it told us so itself).
   */
  async stop(name: string, options: { reason: string; updateRegistry: boolean }): Promise<{ attached: boolean; registry: string }> {
    const plan = this.attached.get(name);
    if (plan) {
      const daemon = this.deps.daemon();
      if (daemon.neighbor(plan.peerName)) daemon.removePeer(plan.peerName);
      this.killed.add(name);
      await this.isolate();
      await this.unlink(plan);
      this.attached.delete(name);
      this.deps.log.warn({ experiment: name, reason: options.reason }, 'experiment stopped');
    }
    await this.deps.registry().appendAuditLog({ experiment: name, event: 'stopped', detail: options.reason }).catch(() => undefined);
    const experiment = await this.experiment(name);
    if (!options.updateRegistry || experiment.state === 'stopped') return { attached: plan !== undefined, registry: experiment.state };
    // Only an administrator may change an experiment's state: a node's refusal leaves the cut in place and says so.
    const state = await this.deps.registry().setExperimentState(name, 'stopped').then((e) => e.state, () => experiment.state);
    return { attached: plan !== undefined, registry: state };
  }

  /** The registry says an experiment is over (stopped or expired): stop it here too. */
  async onRegistry(experiment: Experiment): Promise<void> {
    const expired = experiment.expiresAt !== '' && Date.parse(experiment.expiresAt) <= Date.now();
    if (!this.attached.has(experiment.name) || (experiment.state === 'active' && !expired)) return;
    await this.stop(experiment.name, { reason: expired ? 'expired' : 'stopped in the registry', updateRegistry: expired });
  }

  /** Expiry needs no registry event: each attached experiment is checked against its end time. */
  async checkExpiry(): Promise<void> {
    if (this.attached.size === 0) return;
    for (const e of (await this.deps.registry().publicView()).experiments) await this.onRegistry(e);
  }

  async status(name: string): Promise<ExperimentStatus> {
    const experiment = await this.experiment(name);
    const plan = this.attached.get(name) ?? null;
    const daemon = this.deps.daemon();
    const counters = plan ? daemon.instance('experimental').peerCounters(plan.peerName) : undefined;
    return {
      experiment,
      attachment: plan,
      session: plan ? daemon.neighbor(plan.peerName)?.state ?? 'none' : 'none',
      accepted: counters?.accepted ?? 0,
      rejected: this.rejected.get(name) ?? 0,
      // Reading the log takes an administrator credential; a node credential gets none.
      audit: await this.deps.registry().listAuditLog(name).then((entries) => entries.slice(-20), () => null),
    };
  }

  /** Everything attached, cut at once (the agent going down). */
  async stopAll(): Promise<void> {
    for (const name of [...this.attached.keys()]) await this.stop(name, { reason: 'node going down', updateRegistry: false }).catch(() => undefined);
  }

  private async isolate(): Promise<void> {
    const attachments = [...this.attached.values()].map((p) => ({ interface: p.interface, experiment: p.experiment, allocations: [p.allocation] }));
    // A killed experiment stays in the list until its link is gone: the drop rules name its interface.
    await this.deps.isolate(attachments, [...this.killed].filter((k) => this.attached.has(k)));
  }

  private async link(plan: AttachmentPlan): Promise<void> {
    const address = `${plan.ourAddress}/${plan.prefixLength}`;
    if (plan.netns !== undefined) {
      await ip(['link', 'add', plan.interface, 'type', 'veth', 'peer', 'name', plan.peerInterface!, 'netns', plan.netns]);
      await ip(['-n', plan.netns, 'address', 'add', `${plan.theirAddress}/${plan.prefixLength}`, 'dev', plan.peerInterface!]);
      await ip(['-n', plan.netns, 'link', 'set', plan.peerInterface!, 'up']);
    }
    await ip(['address', 'add', address, 'dev', plan.interface]);
    await ip(['link', 'set', plan.interface, 'up']);
    // Replies from the experimental plane look up the experimental table only: the link must be there too.
    await ip(['route', 'replace', plan.allocation, 'dev', plan.interface, 'table', String(this.deps.experimentalTable), 'metric', '50']);
  }

  private async unlink(plan: AttachmentPlan): Promise<void> {
    if (plan.netns !== undefined) {
      await ip(['link', 'del', plan.interface]).catch(() => undefined);
      return;
    }
    await ip(['route', 'del', plan.allocation, 'dev', plan.interface, 'table', String(this.deps.experimentalTable)]).catch(() => undefined);
    await ip(['address', 'del', `${plan.ourAddress}/${plan.prefixLength}`, 'dev', plan.interface]).catch(() => undefined);
  }
}
