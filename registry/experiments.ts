import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { AddressPlan } from './address-plan.js';
import { claimSlots } from './allocation.js';
import type { Allocation, AuditEntry, AuditPage, AuditPageRequest, Authorization, Experiment, Mesh } from './model.js';
import { EXPERIMENT_STATES, timestamp } from './model.js';
import { alreadyExists, invalidArgument, notFound, permissionDenied, RpcError, unauthenticated } from './rpc-error.js';
import type { Caller } from './service.js';
import type { Store } from './store.js';
import { checkName } from './validate.js';
import { experimentLimits, experimentRecord, LIMIT_RANGES, MAX_AUDIT_BATCH } from './experiment-limits.js';
import { formatPrefix, parsePrefix, subnet } from '../common/prefix.js';
import { auditKeySuffix, checkAuditPageRequest, readAuditPage } from './audit-log.js';

/** How far ahead of the registry's clock a node's decision time may be. */
const MAX_CLOCK_AHEAD_MS = 5 * 60_000;

function checkAuditEvent(at: string, e: { event: string; detail: string }): void {
  if (!/^[a-z][a-z0-9_.-]{0,63}$/.test(e.event)) throw invalidArgument(`${at}event`, `"${e.event}" is not an event name (a-z, 0-9, "_", ".", "-")`);
  if (e.detail.length > 4096) throw invalidArgument(`${at}detail`, `${e.detail.length} characters; at most 4096`);
}

/**
 * Experiments on the experimental plane: each gets its own slot of
 * experimental space and an ASN (claimed like a node's), guard-rail limits
 * (max prefixes, max updates per minute, traffic rate, expiry), authorizations for that
 * space only, and an audit log that the hosting node appends to and viewers may read.
 */
export class Experiments {
  constructor(
    private readonly store: Store,
    private readonly plan: AddressPlan,
    private readonly mesh: Mesh,
  ) {}

  async list(): Promise<Experiment[]> {
    return (await this.store.list<Experiment>(this.store.keys.experiment(''))).map(experimentRecord);
  }

  async create(req: {
    name: string; owner: string; description: string; maxPrefixes: number; maxUpdatesPerMinute: number; maxMbits: number; durationSeconds: number; node: string;
    prefixLength: number;
  }): Promise<Experiment> {
    checkName('name', req.name);
    checkName('owner', req.owner);
    if (req.node) checkName('node', req.node);
    if (req.description.length > 200) throw invalidArgument('description', 'longer than 200 characters');
    const limits = experimentLimits(req);
    const at = timestamp();
    const expiresAt = new Date(Date.now() + limits.durationSeconds * 1000).toISOString();
    const build = ([slot, asnSlot]: number[]): Experiment => {
      const site = this.plan.site('experimental', slot!);
      const v4 = formatPrefix(subnet(parsePrefix(site.v4), limits.prefixLength, 0n));
      return {
        name: req.name, owner: req.owner, description: req.description, asn: this.plan.asnForSlot(asnSlot!), prefixes: [v4, site.v6],
        maxPrefixes: limits.maxPrefixes, maxUpdatesPerMinute: limits.maxUpdatesPerMinute, maxMbits: limits.maxMbits,
        expiresAt, state: 'active', node: req.node, slot: slot!, createdAt: at, updatedAt: at,
      };
    };
    const guards = [
      {
        key: this.store.keys.org(req.owner), target: 'Create' as const, value: 0,
        refuse: () => { throw notFound(`organization "${req.owner}"`); },
      },
      {
        key: this.store.keys.experiment(req.name), target: 'Create' as const, value: 0,
        refuse: () => { throw alreadyExists(`experiment "${req.name}"`); },
      },
    ];
    // The owner must exist: guard "Create == its create revision" needs that revision first.
    const owner = await this.store.etcd.get(this.store.keys.org(req.owner)).exec();
    const ownerKv = owner.kvs[0];
    if (!ownerKv) throw notFound(`organization "${req.owner}"`);
    guards[0]!.value = Number(ownerKv.create_revision);
    if (req.node) {
      const node = await this.store.etcd.get(this.store.keys.node(req.node)).exec();
      const nodeKv = node.kvs[0];
      if (!nodeKv) throw notFound(`node "${req.node}"`);
      guards.push({ key: this.store.keys.node(req.node), target: 'Create', value: Number(nodeKv.create_revision), refuse: () => { throw notFound(`node "${req.node}"`); } });
    }
    const { slots } = await claimSlots(this.store, {
      claims: [
        { kind: 'experiment', capacity: this.plan.experimentCapacity, pool: `experimental pool ${this.mesh.experimentalV4}` },
        { kind: 'asn', capacity: this.plan.asnCapacity, pool: `ASN pool ${this.mesh.asnFirst}-${this.mesh.asnLast}` },
      ],
      guards,
      writes: (claimed) => {
        const experiment = build(claimed);
        const { asn } = experiment;
        const spaces = [['v4', experiment.prefixes[0]!], ['v6', experiment.prefixes[1]!]] as const;
        return [
          this.store.putJson(this.store.keys.slot('experiment', claimed[0]!), { holder: req.name }),
          this.store.putJson(this.store.keys.slot('asn', claimed[1]!), { holder: `experiment/${req.name}` }),
          this.store.putJson(this.store.keys.experiment(req.name), experiment),
          ...spaces.flatMap(([family, prefix]) => {
            const id = `experiment.${req.name}.${family}`;
            const allocation: Allocation = { id, prefix, plane: 'experimental', holderKind: 'experiment', holder: req.name, purpose: 'experiment', createdAt: at };
            // Researchers may announce more specifics of their space, down to /28 and /124... but only from their ASN.
            const maxLength = family === 'v4' ? LIMIT_RANGES.prefixLength.max : 124;
            const auth: Authorization = { id, prefix, maxLength, originAsn: asn, plane: 'experimental', holder: req.name, createdAt: at };
            return [this.store.putJson(this.store.keys.allocation(id), allocation), this.store.putJson(this.store.keys.authorization(id), auth)];
          }),
        ];
      },
    });
    return build(slots);
  }

  /**
   * The administrator sets any state; the node hosting the experiment may only
   * stop it (its kill switch), never revive it.
   */
  async setState(caller: Caller, req: { name: string; state: string }): Promise<Experiment> {
    checkName('name', req.name);
    if (!(EXPERIMENT_STATES as readonly string[]).includes(req.state)) {
      throw invalidArgument('state', `"${req.state}" is not one of ${EXPERIMENT_STATES.join(', ')}`);
    }
    if (caller.kind === 'node' && req.state !== 'stopped') {
      throw permissionDenied(`node "${caller.node}" may only stop experiment "${req.name}"; setting it ${req.state} takes the administrator credential`);
    }
    return this.update(req.name, (current) => {
      this.checkHost(caller, current);
      if (req.state === 'active' && Date.parse(current.expiresAt) <= Date.now()) {
        throw new RpcError(status.FAILED_PRECONDITION, `experiment "${req.name}" expired at ${current.expiresAt}; create a new one`);
      }
      // The decision is logged here, whoever hosts the experiment; the hosting node logs carrying it out.
      const at = timestamp();
      const by = caller.kind === 'node' ? `node ${caller.node}` : 'the administrator';
      const audit: AuditEntry = { experiment: req.name, node: caller.kind === 'node' ? caller.node : '', event: `state.${req.state}`, detail: `set by ${by}`, at };
      return { next: { ...current, state: req.state as Experiment['state'], updatedAt: at }, audit };
    });
  }

  /**
   * A node attaching the experiment's router becomes its host, in the same
   * transaction as the "attached" audit entry: from then on that node (and
   * no other) may append to its log, read it, and stop it.
   */
  async attach(caller: Caller, req: { experiment: string; detail: string }): Promise<Experiment> {
    if (caller.kind !== 'node') throw permissionDenied(`only a node attaches experiment "${req.experiment}": use the hosting node's credential`);
    checkName('experiment', req.experiment);
    if (req.detail.length > 4096) throw invalidArgument('detail', `${req.detail.length} characters; at most 4096`);
    return this.update(req.experiment, (current) => {
      if (current.node && current.node !== caller.node) {
        throw permissionDenied(`node "${caller.node}" may not attach experiment "${req.experiment}": node "${current.node}" hosts it`);
      }
      if (current.state !== 'active' || Date.parse(current.expiresAt) <= Date.now()) {
        const why = current.state !== 'active' ? `is ${current.state}` : `expired at ${current.expiresAt}`;
        throw new RpcError(status.FAILED_PRECONDITION, `experiment "${req.experiment}" ${why}; it cannot be attached`);
      }
      const at = timestamp();
      const entry: AuditEntry = { experiment: req.experiment, node: caller.node, event: 'attached', detail: req.detail, at };
      return { next: { ...current, node: caller.node, updatedAt: at }, audit: entry };
    });
  }

  /** Read-modify-write of one experiment record, retried while others change it. */
  private async update(name: string, change: (current: Experiment) => { next: Experiment; audit?: AuditEntry }): Promise<Experiment> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const key = this.store.keys.experiment(name);
      const current = await this.store.get<Experiment>(key);
      if (!current) throw notFound(`experiment "${name}"`);
      const { next, audit } = change(experimentRecord(current.value));
      const writes = [this.store.putJson(key, next), ...(audit ? [this.store.putJson(this.auditKey(audit), audit)] : [])];
      const res = await this.store.etcd.if(key, 'Mod', '==', current.modRevision).then(...writes).commit();
      if (res.succeeded) return next;
    }
    throw new RpcError(status.ABORTED, `experiment "${name}" is being changed concurrently; try again`);
  }

  private checkHost(caller: Caller, experiment: Experiment): void {
    if (caller.kind === 'admin') return;
    if (caller.kind === 'public') throw unauthenticated('a node or administrator credential is needed');
    if (caller.kind === 'viewer') throw permissionDenied(`viewer "${caller.viewer}" may only read experiment "${experiment.name}"`);
    if (experiment.node !== caller.node) {
      const host = experiment.node ? `node "${experiment.node}" hosts it` : 'no node has attached it';
      throw permissionDenied(`node "${caller.node}" does not host experiment "${experiment.name}" (${host})`);
    }
  }

  async appendAuditLog(caller: Caller, req: { experiment: string; event: string; detail: string }): Promise<AuditEntry> {
    checkAuditEvent('', req);
    await this.checkAuditor(caller, req.experiment);
    const entry: AuditEntry = { experiment: req.experiment, node: caller.kind === 'node' ? caller.node : '', event: req.event, detail: req.detail, at: timestamp() };
    await this.store.putJson(this.auditKey(entry), entry).exec();
    return entry;
  }

  /**
   * A batch of one experiment's entries, all or none in one transaction, at
   * the times the node gives (its decisions, sent up to a second later or
   * after a registry outage); keys keep the batch's order within a millisecond.
   */
  async appendAuditLogBatch(caller: Caller, req: { experiment: string; events: { event: string; detail: string; at: string }[] }): Promise<AuditEntry[]> {
    if (req.events.length < 1 || req.events.length > MAX_AUDIT_BATCH) throw invalidArgument('events', `${req.events.length} entries; 1..${MAX_AUDIT_BATCH} a call`);
    const latest = Date.now() + MAX_CLOCK_AHEAD_MS;
    req.events.forEach((e, i) => {
      checkAuditEvent(`events[${i}].`, e);
      const at = Date.parse(e.at);
      if (!/^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(e.at) || Number.isNaN(at)) throw invalidArgument(`events[${i}].at`, `"${e.at}" is not an ISO 8601 UTC time (as toISOString() writes)`);
      if (at > latest) throw invalidArgument(`events[${i}].at`, `${e.at} is ahead of the registry's clock by more than ${MAX_CLOCK_AHEAD_MS / 60_000} minutes; check the node's clock`);
    });
    await this.checkAuditor(caller, req.experiment);
    const node = caller.kind === 'node' ? caller.node : '';
    const batch = randomBytes(4).toString('hex');
    const entries = req.events.map((e): AuditEntry => ({ experiment: req.experiment, node, event: e.event, detail: e.detail, at: new Date(Date.parse(e.at)).toISOString() }));
    const keys = entries.map((e, i) => this.store.keys.audit(req.experiment) + auditKeySuffix(e.at, { batch, index: i }));
    const res = await this.store.etcd.if(this.store.keys.experiment(req.experiment), 'Create', '>', 0)
      .then(...entries.map((e, i) => this.store.putJson(keys[i]!, e))).commit();
    if (!res.succeeded) throw notFound(`experiment "${req.experiment}"`);
    return entries;
  }

  /** Who may append to an experiment's log: the administrator and its hosting node. */
  private async checkAuditor(caller: Caller, experiment: string): Promise<void> {
    if (caller.kind === 'public') throw unauthenticated('a node or administrator credential is needed');
    checkName('experiment', experiment);
    const found = await this.store.get<Experiment>(this.store.keys.experiment(experiment));
    if (!found) throw notFound(`experiment "${experiment}"`);
    this.checkHost(caller, found.value);
  }

  /**
   * A page of the log (see audit-log.ts). The administrator, the hosting
   * node, and viewers (the looking glass shows every experiment's log) may read it.
   */
  async listAuditLog(caller: Caller, req: { experiment: string } & AuditPageRequest): Promise<AuditPage> {
    checkName('experiment', req.experiment);
    const page = checkAuditPageRequest(req);
    const found = await this.store.get<Experiment>(this.store.keys.experiment(req.experiment));
    if (!found) throw notFound(`experiment "${req.experiment}"`);
    if (caller.kind !== 'viewer') this.checkHost(caller, found.value);
    return readAuditPage(this.store, this.store.keys.audit(req.experiment), page);
  }

  /**
   * Stops every active experiment past its expiry and notes it in its audit
   * log; nodes see the state change through Watch and withdraw its routes.
   * Every registry process sweeps now and then: the compare on the record's
   * revision lets exactly one of concurrent sweeps write.
   */
  async stopExpired(now = Date.now()): Promise<string[]> {
    const stopped: string[] = [];
    for (const experiment of await this.list()) {
      if (experiment.state !== 'active' || Date.parse(experiment.expiresAt) > now) continue;
      const key = this.store.keys.experiment(experiment.name);
      const current = await this.store.get<Experiment>(key);
      if (!current || current.value.state !== 'active') continue;
      const at = timestamp();
      const entry: AuditEntry = { experiment: experiment.name, node: '', event: 'expired', detail: `expired at ${experiment.expiresAt}`, at };
      const res = await this.store.etcd
        .if(key, 'Mod', '==', current.modRevision)
        .then(this.store.putJson(key, { ...experimentRecord(current.value), state: 'stopped', updatedAt: at }), this.store.putJson(this.auditKey(entry), entry))
        .commit();
      if (res.succeeded) stopped.push(experiment.name);
    }
    return stopped;
  }

  private auditKey(entry: AuditEntry): string {
    return this.store.keys.audit(entry.experiment) + auditKeySuffix(entry.at);
  }
}
