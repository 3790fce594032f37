/**
 * Where each record lives in etcd. Everything under `pub/` is public and is
 * what Watch streams; secrets (hashes of credentials, invitations) and slot
 * claims live apart so that a watch on `pub/` can never leak them.
 */
export class KeyLayout {
  constructor(readonly root: string = '/garagenet/') {}

  get pub(): string { return `${this.root}pub/`; }
  get mesh(): string { return `${this.pub}mesh`; }
  org(name: string): string { return `${this.pub}org/${name}`; }
  node(name: string): string { return `${this.pub}node/${name}`; }
  allocation(id: string): string { return `${this.pub}alloc/${id}`; }
  authorization(id: string): string { return `${this.pub}auth/${id}`; }
  experiment(name: string): string { return `${this.pub}exp/${name}`; }
  presence(node: string): string { return `${this.pub}presence/${node}`; }

  get adminHash(): string { return `${this.root}secret/admin`; }
  nodeHash(node: string): string { return `${this.root}secret/node/${node}`; }
  invitation(id: string): string { return `${this.root}secret/invite/${id}`; }
  get invitations(): string { return `${this.root}secret/invite/`; }
  viewer(name: string): string { return `${this.root}secret/viewer/${name}`; }
  get viewers(): string { return `${this.root}secret/viewer/`; }

  slots(kind: SlotKind): string { return `${this.root}slot/${kind}/`; }
  slot(kind: SlotKind, n: number): string { return `${this.slots(kind)}${n}`; }

  get audits(): string { return `${this.root}audit/`; }
  /** Set once the audit entries of older registries are rekeyed (audit-log.ts). */
  get auditsCountDown(): string { return `${this.root}done/audit-keys-count-down`; }
  audit(experiment: string): string { return `${this.audits}${experiment}/`; }

  /** Splits a `pub/` key into its record kind and id. */
  parsePub(key: string): { kind: PubKind; id: string } | null {
    if (!key.startsWith(this.pub)) return null;
    const rest = key.slice(this.pub.length);
    if (rest === 'mesh') return { kind: 'mesh', id: 'mesh' };
    const slash = rest.indexOf('/');
    const kind = PUB_DIRS[rest.slice(0, slash)];
    return kind && slash > 0 ? { kind, id: rest.slice(slash + 1) } : null;
  }
}

export type SlotKind = 'node' | 'experiment' | 'asn';
export type PubKind = 'mesh' | 'organization' | 'node' | 'allocation' | 'authorization' | 'experiment' | 'presence';

const PUB_DIRS: Record<string, PubKind | undefined> = {
  org: 'organization',
  node: 'node',
  alloc: 'allocation',
  auth: 'authorization',
  exp: 'experiment',
  presence: 'presence',
};
