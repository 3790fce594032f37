import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { addressBits, formatPrefix, prefixContains } from '../common/prefix.js';
import { AddressPlan } from './address-plan.js';
import { claimSlots } from './allocation.js';
import { formatCredential, hashSecret, newSecret, secretMatches } from './credentials.js';
import { encodeJoinString } from './join-string.js';
import type {
  Allocation, Authorization, Experiment, Invitation, JoinResponse, Mesh, Node, NodeView,
  Organization, Plane, Presence, PublicView, StoredInvitation,
} from './model.js';
import { PLANES, timestamp } from './model.js';
import { Experiments } from './experiments.js';
import { experimentRecord } from './experiment-limits.js';
import { PresenceKeeper } from './presence.js';
import { Viewers } from './viewers.js';
import {
  alreadyExists, invalidArgument, notFound, permissionDenied, RpcError, unauthenticated,
} from './rpc-error.js';
import type { Store, StoredValue } from './store.js';
import { checkEndpoints, checkName, checkPrefix, checkPublicKey, checkRange } from './validate.js';

/** Who is calling, as established by the server from the request's credential. */
export type Caller = { kind: 'admin' } | { kind: 'node'; node: string } | { kind: 'viewer'; viewer: string } | { kind: 'public' };

const DAY = 86_400;


/**
 * The registry's calls as plain async methods over the store: validation,
 * authorization of the caller against the record, and the etcd transactions.
 * The gRPC wiring lives in server.ts.
 */
export class RegistryService {
  readonly plan: AddressPlan;
  readonly presence: PresenceKeeper;
  readonly experiments: Experiments;
  readonly viewers: Viewers;
  private adminHash: string | null = null;

  constructor(
    private readonly store: Store,
    readonly mesh: Mesh,
    private readonly identity: { address: string; pin: string },
  ) {
    this.plan = new AddressPlan(mesh);
    this.presence = new PresenceKeeper(store);
    this.experiments = new Experiments(store, this.plan, mesh);
    this.viewers = new Viewers(store);
  }

  private get keys(): Store['keys'] {
    return this.store.keys;
  }

  // ------------------------------------------------------------ credentials

  /** Resolves a node credential to its node, or throws UNAUTHENTICATED. */
  async authenticateNode(node: string, secret: string): Promise<string> {
    const stored = await this.store.get<{ hash: string }>(this.keys.nodeHash(node));
    if (!stored || !secretMatches(secret, stored.value.hash)) {
      throw unauthenticated(`node credential for "${node}" is not valid (the node may have left or been removed)`);
    }
    return node;
  }

  /** The administrator credential never changes after init, so its hash is held in memory (set by bootstrap). */
  async authenticateAdmin(secret: string): Promise<void> {
    this.adminHash ??= (await this.store.get<{ hash: string }>(this.keys.adminHash))?.value.hash ?? null;
    if (!this.adminHash || !secretMatches(secret, this.adminHash)) throw unauthenticated('administrator credential is not valid');
  }

  // ------------------------------------------------------------ public

  async publicView(): Promise<PublicView> {
    const { revision, entries } = await this.store.snapshot(this.keys.pub);
    const view: PublicView = {
      mesh: this.mesh, organizations: [], nodes: [], allocations: [], authorizations: [], experiments: [], revision,
    };
    const presence = new Map<string, Presence>();
    const nodes: Node[] = [];
    for (const { key, value } of entries) {
      const parsed = this.keys.parsePub(key);
      const record: unknown = JSON.parse(value.toString());
      switch (parsed?.kind) {
        case 'organization': view.organizations.push(record as Organization); break;
        case 'node': nodes.push(record as Node); break;
        case 'allocation': view.allocations.push(record as Allocation); break;
        case 'authorization': view.authorizations.push(record as Authorization); break;
        case 'experiment': view.experiments.push(experimentRecord(record as Experiment)); break;
        case 'presence': presence.set(parsed.id, record as Presence); break;
        default: break;
      }
    }
    view.nodes = nodes.map((node) => this.nodeView(node, presence.get(node.name)));
    return view;
  }

  /** Nodes with their online state, read from their own prefixes only. */
  async listNodes(): Promise<NodeView[]> {
    const [nodes, presence] = await Promise.all([
      this.store.list<Node>(this.keys.node('')),
      this.store.list<Presence>(this.keys.presence('')),
    ]);
    const online = new Map(presence.map((p) => [p.node, p]));
    return nodes.map((node) => this.nodeView(node, online.get(node.name)));
  }

  listOrganizations(): Promise<Organization[]> {
    return this.store.list<Organization>(this.keys.org(''));
  }

  listAllocations(): Promise<Allocation[]> {
    return this.store.list<Allocation>(this.keys.allocation(''));
  }

  listAuthorizations(): Promise<Authorization[]> {
    return this.store.list<Authorization>(this.keys.authorization(''));
  }

  private nodeView(node: Node, presence: Presence | undefined): NodeView {
    return { node, online: presence !== undefined, onlineSince: presence?.onlineSince ?? '' };
  }

  // ------------------------------------------------------------ join

  async join(req: { invitation: string; secret: string; publicKey: string; name: string; endpoints: string[] }): Promise<JoinResponse> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(req.invitation)) throw invalidArgument('invitation', 'missing or malformed invitation id');
    if (!req.secret) throw invalidArgument('secret', 'missing');
    checkPublicKey('public_key', req.publicKey);
    checkEndpoints('endpoints', req.endpoints);
    if (req.name) checkName('name', req.name);

    const stored = await this.store.get<StoredInvitation>(this.keys.invitation(req.invitation));
    if (!stored || !secretMatches(req.secret, stored.value.secretHash)) {
      throw unauthenticated('join string is not valid for this registry (unknown invitation or wrong secret)');
    }
    const invitation = stored.value;
    this.checkInvitationUsable(invitation);
    // A generated name may (rarely) be taken already: then draw another.
    for (let attempt = 0; ; attempt++) {
      const name = req.name || `${invitation.organization.slice(0, 23)}-${randomBytes(4).toString('hex')}`;
      try {
        return await this.joinAs(name, stored, req);
      } catch (err) {
        if (req.name || attempt >= 3 || !(err instanceof RpcError && err.code === status.ALREADY_EXISTS)) throw err;
      }
    }
  }

  private async joinAs(
    name: string,
    stored: StoredValue<StoredInvitation>,
    req: { publicKey: string; endpoints: string[] },
  ): Promise<JoinResponse> {
    const invitation = stored.value;
    const credentialSecret = newSecret();
    const at = timestamp();
    // Pure in the slots, so the records written and the records returned are the same.
    const build = ([slot, asnSlot]: number[]): ReturnType<RegistryService['buildNode']> =>
      this.buildNode({ name, organization: invitation.organization, publicKey: req.publicKey, endpoints: req.endpoints, slot: slot!, asn: this.plan.asnForSlot(asnSlot!), at });

    const { slots, revision } = await claimSlots(this.store, {
      claims: [
        { kind: 'node', capacity: this.plan.nodeCapacity, pool: `node address space (production ${this.mesh.productionV4})` },
        { kind: 'asn', capacity: this.plan.asnCapacity, pool: `ASN pool ${this.mesh.asnFirst}-${this.mesh.asnLast}` },
      ],
      guards: [
        {
          key: this.keys.invitation(invitation.id), target: 'Mod', value: stored.modRevision,
          refuse: (current) => {
            this.checkInvitationUsable(current ? (JSON.parse(current.toString()) as Invitation) : invitation);
            throw permissionDenied(`invitation ${invitation.id} changed while joining; ask for a new join string`);
          },
        },
        {
          key: this.keys.node(name), target: 'Create', value: 0,
          refuse: () => { throw alreadyExists(`node "${name}"`, 'choose another name'); },
        },
      ],
      writes: (claimed) => {
        const built = build(claimed);
        const used: StoredInvitation = { ...invitation, usedBy: name, usedAt: at };
        return [
          this.store.putJson(this.keys.slot('node', claimed[0]!), { holder: name }),
          this.store.putJson(this.keys.slot('asn', claimed[1]!), { holder: `node/${name}` }),
          this.store.putJson(this.keys.node(name), built.node),
          this.store.putJson(this.keys.nodeHash(name), { hash: hashSecret(credentialSecret) }),
          this.store.putJson(this.keys.invitation(invitation.id), used),
          ...built.allocations.map((a) => this.store.putJson(this.keys.allocation(a.id), a)),
          ...built.authorizations.map((a) => this.store.putJson(this.keys.authorization(a.id), a)),
        ];
      },
    });
    return {
      ...build(slots),
      credential: formatCredential({ kind: 'node', node: name, secret: credentialSecret }),
      mesh: this.mesh,
      revision,
    };
  }

  private checkInvitationUsable(invitation: Invitation): void {
    if (invitation.usedBy) throw permissionDenied(`invitation ${invitation.id} was already used by node "${invitation.usedBy}"; ask for a new join string`);
    if (Date.parse(invitation.expiresAt) <= Date.now()) {
      throw permissionDenied(`invitation ${invitation.id} expired at ${invitation.expiresAt}; ask for a new join string`);
    }
  }

  private buildNode(o: { name: string; organization: string; publicKey: string; endpoints: string[]; slot: number; asn: number; at: string }): {
    node: Node; allocations: Allocation[]; authorizations: Authorization[];
  } {
    const prod = this.plan.loopbacks('production', o.slot);
    const exp = this.plan.loopbacks('experimental', o.slot);
    const site = this.plan.site('production', o.slot);
    const node: Node = {
      name: o.name, organization: o.organization, publicKey: o.publicKey, previousPublicKey: '', endpoints: o.endpoints,
      asn: o.asn, productionLoopbackV4: prod.v4, productionLoopbackV6: prod.v6, experimentalLoopbackV4: exp.v4,
      experimentalLoopbackV6: exp.v6, slot: o.slot, joinedAt: o.at, updatedAt: o.at,
    };
    const spaces: [Plane, Allocation['purpose'], string, string][] = [
      ['production', 'loopback', 'loopback-v4', `${prod.v4}/32`],
      ['production', 'loopback', 'loopback-v6', `${prod.v6}/128`],
      ['experimental', 'loopback', 'exp-loopback-v4', `${exp.v4}/32`],
      ['experimental', 'loopback', 'exp-loopback-v6', `${exp.v6}/128`],
      ['production', 'garage', 'garage-v4', site.v4],
      ['production', 'garage', 'garage-v6', site.v6],
    ];
    const allocations = spaces.map(([plane, purpose, what, prefix]): Allocation => ({
      id: `node.${o.name}.${what}`, prefix, plane, holderKind: 'node', holder: o.name, purpose, createdAt: o.at,
    }));
    const authorizations = allocations.map((a): Authorization => ({
      id: a.id, prefix: a.prefix, maxLength: Number(a.prefix.split('/')[1]), originAsn: o.asn, plane: a.plane, holder: o.name, createdAt: o.at,
    }));
    return { node, allocations, authorizations };
  }

  // ------------------------------------------------------------ node calls

  private async updateOwnNode(node: string, change: (current: Node) => Node): Promise<Node> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.store.get<Node>(this.keys.node(node));
      if (!current) throw notFound(`node "${node}"`);
      const next = { ...change(current.value), updatedAt: timestamp() };
      const res = await this.store.etcd
        .if(this.keys.node(node), 'Mod', '==', current.modRevision)
        .then(this.store.putJson(this.keys.node(node), next))
        .commit();
      if (res.succeeded) return next;
    }
    throw new RpcError(status.ABORTED, `node "${node}" is being changed concurrently; try again`);
  }

  async updateEndpoints(caller: Caller, endpoints: string[]): Promise<Node> {
    const node = this.requireNode(caller);
    checkEndpoints('endpoints', endpoints);
    return this.updateOwnNode(node, (n) => ({ ...n, endpoints }));
  }

  async rotateKey(caller: Caller, publicKey: string): Promise<Node> {
    const node = this.requireNode(caller);
    checkPublicKey('public_key', publicKey);
    return this.updateOwnNode(node, (n) => {
      if (n.publicKey === publicKey) throw invalidArgument('public_key', 'is the key the node already has');
      return { ...n, previousPublicKey: n.publicKey, publicKey };
    });
  }

  async keepAlive(caller: Caller, ttlSeconds: number): Promise<Presence> {
    const node = this.requireNode(caller);
    if (ttlSeconds) checkRange('ttl_seconds', ttlSeconds, 5, 300);
    return this.presence.keepAlive(node, ttlSeconds);
  }

  async leave(caller: Caller): Promise<string[]> {
    return this.removeNode(this.requireNode(caller));
  }

  /** Removes a node and everything it holds (its own Leave, or an administrator's RemoveNode), in one transaction. */
  async removeNode(name: string): Promise<string[]> {
    checkName('name', name);
    const current = await this.store.get<Node>(this.keys.node(name));
    if (!current) throw notFound(`node "${name}"`);
    const allocations = (await this.store.list<Allocation>(`${this.keys.pub}alloc/node.${name}.`)).filter((a) => a.holder === name);
    const authorizations = (await this.store.list<Authorization>(`${this.keys.pub}auth/node.${name}.`)).filter((a) => a.holder === name);
    const etcd = this.store.etcd;
    const res = await etcd
      .if(this.keys.node(name), 'Mod', '==', current.modRevision)
      .then(
        etcd.delete().key(this.keys.node(name)),
        etcd.delete().key(this.keys.nodeHash(name)),
        etcd.delete().key(this.keys.presence(name)),
        etcd.delete().key(this.keys.slot('node', current.value.slot)),
        etcd.delete().key(this.keys.slot('asn', this.plan.slotForAsn(current.value.asn))),
        ...allocations.map((a) => etcd.delete().key(this.keys.allocation(a.id))),
        ...authorizations.map((a) => etcd.delete().key(this.keys.authorization(a.id))),
      )
      .commit();
    if (!res.succeeded) throw new RpcError(status.ABORTED, `node "${name}" changed while being removed; try again`);
    this.presence.forget(name);
    return allocations.map((a) => a.prefix);
  }

  // ------------------------------------------------------------ admin calls

  async createOrganization(req: { name: string; description: string }): Promise<Organization> {
    checkName('name', req.name);
    if (req.description.length > 200) throw invalidArgument('description', 'longer than 200 characters');
    const org: Organization = { name: req.name, description: req.description, createdAt: timestamp() };
    const res = await this.store.etcd.if(this.keys.org(req.name), 'Create', '==', 0).then(this.store.putJson(this.keys.org(req.name), org)).commit();
    if (!res.succeeded) throw alreadyExists(`organization "${req.name}"`);
    return org;
  }

  async createInvitation(req: { organization: string; expiresInSeconds: number }): Promise<{ invitation: Invitation; joinString: string }> {
    checkName('organization', req.organization);
    const ttl = req.expiresInSeconds ? checkRange('expires_in_seconds', req.expiresInSeconds, 1, 30 * DAY) : DAY;
    const secret = newSecret();
    const created = new Date();
    const invitation: Invitation = {
      id: randomBytes(9).toString('base64url'), organization: req.organization, createdAt: created.toISOString(),
      expiresAt: new Date(created.getTime() + ttl * 1000).toISOString(), usedBy: '', usedAt: '',
    };
    const stored: StoredInvitation = { ...invitation, secretHash: hashSecret(secret) };
    const res = await this.store.etcd
      .if(this.keys.org(req.organization), 'Create', '>', 0)
      .then(this.store.putJson(this.keys.invitation(invitation.id), stored))
      .commit();
    if (!res.succeeded) throw notFound(`organization "${req.organization}"`, 'add it with `garagenet registry org add`');
    const joinString = encodeJoinString({ registry: this.identity.address, pin: this.identity.pin, invitation: invitation.id, secret });
    return { invitation, joinString };
  }

  async listInvitations(): Promise<Invitation[]> {
    const stored = await this.store.list<StoredInvitation>(this.keys.invitations);
    return stored.map(({ secretHash: _hash, ...invitation }) => invitation);
  }

  async addAuthorization(req: { prefix: string; maxLength: number; originAsn: number; plane: string }): Promise<Authorization> {
    const plane = this.checkPlane(req.plane);
    const prefix = checkPrefix('prefix', req.prefix);
    const pools = this.plan.pools(plane);
    const pool = prefix.family === 4 ? pools.v4 : pools.v6;
    if (!prefixContains(pool, prefix)) {
      throw invalidArgument('prefix', `${req.prefix} is outside the ${plane} pool ${formatPrefix(pool)}`);
    }
    const maxLength = req.maxLength ? checkRange('max_length', req.maxLength, prefix.length, addressBits(prefix.family)) : prefix.length;
    checkRange('origin_asn', req.originAsn, 1, 4_294_967_294);
    const auth: Authorization = {
      id: `manual.${randomBytes(6).toString('hex')}`, prefix: formatPrefix(prefix), maxLength, originAsn: req.originAsn, plane, holder: '', createdAt: timestamp(),
    };
    await this.store.putJson(this.keys.authorization(auth.id), auth).exec();
    return auth;
  }

  // ------------------------------------------------------------ helpers

  /** The node a node call acts on: always the caller's own. */
  requireNode(caller: Caller): string {
    if (caller.kind === 'node') return caller.node;
    if (caller.kind === 'admin' || caller.kind === 'viewer') throw permissionDenied('this call changes a node\'s own records: use that node\'s credential');
    throw unauthenticated('a node credential is needed');
  }

  private checkPlane(plane: string): Plane {
    if (!(PLANES as readonly string[]).includes(plane)) throw invalidArgument('plane', `"${plane}" is not one of ${PLANES.join(', ')}`);
    return plane as Plane;
  }
}
