import { status } from '@grpc/grpc-js';
import { oneLine, UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { parseAddress } from '../../common/prefix.js';
import type { Attachment, IsolationConfig } from '../../native/isolation/config.js';
import { killExperiment } from '../../native/isolation/kill-switch.js';
import { applyIsolation } from '../../native/isolation/plane-isolation.js';
import type { Rtnetlink } from '../../native/rtnetlink.js';
import type { RouteDaemon } from '../../route-daemon/daemon.js';
import { experimentAuditEntry } from '../../route-daemon/experiment-audit.js';
import type { PolicyEvent } from '../../route-daemon/routing/plane-instance.js';
import { RegistryCallError, type RegistryClient } from '../../registry/client.js';
import { MAX_AUDIT_BATCH } from '../../registry/experiment-limits.js';
import type { AuditEntry, Experiment } from '../../registry/model.js';
import { run } from '../system/run.js';
import { attachmentRateLimit, planAttachment, type AttachmentPlan, type AttachRequest } from './attachment-plan.js';
import { loadAttachments, saveAttachments } from './attachment-store.js';
import { AuditBuffer } from './audit-buffer.js';

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
  readonly rt: Rtnetlink;
  /** The node's plane isolation with these attachments (anti-spoofing, experimental table, killed ones dropped). */
  readonly isolation: (attachments: readonly Attachment[], killed: readonly string[]) => IsolationConfig;
  /** Where the attachments are kept across agent restarts. */
  readonly stateDir: string;
  readonly log: Logger;
}

export interface ExperimentStatus {
  experiment: Experiment;
  attachment: AttachmentPlan | null;
  session: string;
  accepted: number;
  rejected: number;
  /** The registry's last entries; null when the registry could not be asked (the reason in auditError). */
  audit: AuditEntry[] | null;
  auditError?: string;
  /** Entries this node has not yet got into the registry, and those it had to drop (its buffer full during an outage). */
  auditPending: number;
  auditDropped: number;
}

const UPDATES_PER_MINUTE_DEFAULT = 60;

async function ip(args: string[]): Promise<string> {
  return run('ip', args);
}

/** Registry answers after which a batch is sent again; any other refusal is final. */
const RETRIED: readonly number[] = [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED, status.ABORTED, status.INTERNAL, status.UNKNOWN, status.CANCELLED];

/** Audit entries reach the registry in one call per experiment per second, with up to this many waiting through an outage. */
const AUDIT_BUFFER = { capacity: 10_000, batch: MAX_AUDIT_BATCH, intervalMs: 1000 };

export class Attachments {
  private readonly attached = new Map<string, AttachmentPlan>();
  private readonly rejected = new Map<string, number>();
  private readonly auditLog: AuditBuffer;

  constructor(private readonly deps: AttachmentDeps) {
    this.auditLog = new AuditBuffer(async (experiment, events) => {
      await deps.registry().appendAuditLogBatch(experiment, events);
    }, {
      ...AUDIT_BUFFER,
      isRefusal: (err) => err instanceof RegistryCallError && !RETRIED.includes(err.code),
      onError: (experiment, err, refused) => deps.log.warn({ experiment, err: oneLine(err), refused },
        refused ? 'audit entries refused by the registry; dropped' : 'audit entries waiting: the registry is unreachable'),
    });
  }

  /** For the route daemon's audit hook: every decision about an experiment's routes goes to the registry's log. */
  audit(event: PolicyEvent): void {
    const entry = experimentAuditEntry(event);
    if (!entry) return;
    if (entry.event.includes('.rejected.')) this.rejected.set(entry.experiment, (this.rejected.get(entry.experiment) ?? 0) + 1);
    this.record(entry.experiment, entry.event, entry.detail);
  }

  private record(experiment: string, event: string, detail: string): void {
    this.auditLog.add(experiment, event, detail);
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
    // The registry makes this node the host first (it refuses another node's or an ended experiment): nothing is built before that.
    await this.deps.registry().attachExperiment(plan.experiment, `router ${plan.theirAddress} AS${plan.theirAsn} on ${plan.interface}`).catch((err: unknown) => {
      throw new UserError(`the registry refused to attach experiment ${plan.experiment}: ${oneLine(err)}`);
    });
    await this.bringUp(plan);
    await this.persist();
    this.deps.log.child({ experiment: plan.experiment }).info({ interface: plan.interface, router: plan.theirAddress }, 'experiment attached');
    return plan;
  }

  /** Link, isolation, BGP peer; all or nothing. A link already there (an agent restart) is kept. */
  private async bringUp(plan: AttachmentPlan): Promise<void> {
    try {
      await this.link(plan);
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
  }

  /**
   * The kill switch, then forgetting: the experiment's session and routes go
   * (native kill switch and the route daemon), its link goes, and the
   * registry records the stop (as the experiment's host, this node may).
   */
  async stop(name: string, options: { reason: string; updateRegistry: boolean }): Promise<{ attached: boolean; registry: string; registryError?: string }> {
    const plan = this.attached.get(name);
    if (plan) {
      await this.cut(plan);
      await this.persist();
      this.deps.log.warn({ experiment: name, reason: options.reason }, 'experiment stopped');
    }
    this.record(name, 'stopped', options.reason);
    // The stop and what led to it are in the registry before the operator is told.
    await this.auditLog.drain(name);
    const experiment = await this.experiment(name);
    if (!options.updateRegistry || experiment.state === 'stopped') return { attached: plan !== undefined, registry: experiment.state };
    // The cut stands whatever the registry says; a refusal is reported, not thrown.
    return this.deps.registry().setExperimentState(name, 'stopped').then(
      (e) => ({ attached: plan !== undefined, registry: e.state }),
      (err: unknown) => ({ attached: plan !== undefined, registry: experiment.state, registryError: oneLine(err) }),
    );
  }

  /**
   * Cuts one attachment at once: the native kill switch drops its traffic
   * both ways, takes its link down and deletes its routes from the
   * experimental table in one batch; then the route daemon removes the peer
   * (withdrawn mesh-wide), the link is deleted and isolation forgets it.
   */
  private async cut(plan: AttachmentPlan): Promise<void> {
    await killExperiment(this.deps.rt, { config: this.config([plan.experiment]), experiment: plan.experiment });
    const daemon = this.deps.daemon();
    if (daemon.neighbor(plan.peerName)) daemon.removePeer(plan.peerName);
    // Until the link is gone the killed attachment stays in the ruleset: its drop rules name the interface.
    await this.unlink(plan);
    this.attached.delete(plan.experiment);
    await this.isolate();
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

  /**
   * After an agent restart: every attachment kept in the state directory is
   * brought back (its link, if the restart left it, is reused), unless the
   * registry says its experiment ended meanwhile; then its leftovers go.
   * With the registry away, they come back as they were (expiry is checked later).
   */
  async restore(): Promise<void> {
    let plans: AttachmentPlan[];
    try {
      plans = loadAttachments(this.deps.stateDir);
    } catch (err) {
      // A broken file must not keep the node down: production comes up, the attachments wait for the operator.
      this.deps.log.error({ err: oneLine(err) }, 'experiment attachments not restored');
      return;
    }
    if (plans.length === 0) return;
    const experiments = await this.deps.registry().publicView().then((v) => v.experiments, () => null);
    for (const plan of plans) {
      const log = this.deps.log.child({ experiment: plan.experiment });
      const known = experiments?.find((e) => e.name === plan.experiment);
      const ended = experiments !== null && (!known || known.state !== 'active' || Date.parse(known.expiresAt) <= Date.now());
      if (ended) {
        await this.unlink(plan).catch(() => undefined);
        this.record(plan.experiment, 'stopped', 'ended while the agent was down; its leftovers removed');
        log.warn('experiment ended while the agent was down; attachment removed');
        continue;
      }
      await this.bringUp(plan).then(
        () => log.info({ interface: plan.interface }, 'experiment attachment restored'),
        (err: unknown) => log.error({ err: oneLine(err) }, 'cannot restore the experiment attachment; attach it again'),
      );
    }
    await this.persist();
  }

  async status(name: string): Promise<ExperimentStatus> {
    const experiment = await this.experiment(name);
    const plan = this.attached.get(name) ?? null;
    const daemon = this.deps.daemon();
    const counters = plan ? daemon.instance('experimental').peerCounters(plan.peerName) : undefined;
    const audit = await this.deps.registry().listAuditLog(name, { limit: 20 }).then((entries) => ({ entries }), (err: unknown) => ({ error: oneLine(err) }));
    return {
      experiment,
      attachment: plan,
      session: plan ? daemon.neighbor(plan.peerName)?.state ?? 'none' : 'none',
      accepted: counters?.accepted ?? 0,
      rejected: this.rejected.get(name) ?? 0,
      audit: 'entries' in audit ? audit.entries : null,
      ...('error' in audit ? { auditError: audit.error } : {}),
      auditPending: this.auditLog.stats(name).pending,
      auditDropped: this.auditLog.stats(name).dropped,
    };
  }

  /** Everything attached is cut (the node going down) but remembered: `up` attaches it again. */
  async stopAll(): Promise<void> {
    const plans = [...this.attached.values()];
    for (const plan of plans) {
      await this.cut(plan).catch((err: unknown) => this.deps.log.error({ experiment: plan.experiment, err: oneLine(err) }, 'cannot cut the attachment'));
    }
    // What is still waiting goes now, once; the rest is lost with the process (and says so in the log).
    await this.auditLog.flush();
    for (const plan of plans) {
      const { pending } = this.auditLog.stats(plan.experiment);
      if (pending > 0) this.deps.log.warn({ experiment: plan.experiment, pending }, 'audit entries not recorded: the node is going down');
    }
  }

  private config(killed: readonly string[]): IsolationConfig {
    // Each attachment is policed by its own experiment's rate where it enters: a flood never reaches a shared tunnel beyond it.
    const attachments = [...this.attached.values()].map((p) => ({
      interface: p.interface, experiment: p.experiment, allocations: [p.allocation], rateLimit: attachmentRateLimit(p.maxMbits),
    }));
    return this.deps.isolation(attachments, killed);
  }

  private async isolate(): Promise<void> {
    await applyIsolation(this.deps.rt, this.config([]));
  }

  private async persist(): Promise<void> {
    await saveAttachments(this.deps.stateDir, [...this.attached.values()]);
  }

  /** Idempotent: an agent restart finds the link it made before and keeps it. */
  private async link(plan: AttachmentPlan): Promise<void> {
    if (plan.netns !== undefined && !(await ip(['link', 'show', 'dev', plan.interface]).then(() => true, () => false))) {
      await ip(['link', 'add', plan.interface, 'type', 'veth', 'peer', 'name', plan.peerInterface!, 'netns', plan.netns]);
      await ip(['-n', plan.netns, 'address', 'add', `${plan.theirAddress}/${plan.prefixLength}`, 'dev', plan.peerInterface!]);
      await ip(['-n', plan.netns, 'link', 'set', plan.peerInterface!, 'up']);
    }
    await ip(['address', 'replace', `${plan.ourAddress}/${plan.prefixLength}`, 'dev', plan.interface]);
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
