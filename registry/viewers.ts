import { formatCredential, hashSecret, newSecret, secretMatches } from './credentials.js';
import type { StoredViewer, Viewer } from './model.js';
import { timestamp } from './model.js';
import { alreadyExists, notFound, unauthenticated } from './rpc-error.js';
import type { Store } from './store.js';
import { checkName } from './validate.js';

/**
 * Viewer credentials: read-only, for the looking glass. The administrator
 * makes and removes them; etcd holds only the hash, like node credentials.
 * What a viewer may call is decided in server.ts.
 */
export class Viewers {
  constructor(private readonly store: Store) {}

  /** Creates a viewer; its credential is returned this once and never stored. */
  async create(name: string): Promise<{ viewer: Viewer; credential: string }> {
    checkName('name', name);
    const secret = newSecret();
    const viewer: Viewer = { name, createdAt: timestamp() };
    const stored: StoredViewer = { ...viewer, hash: hashSecret(secret) };
    const key = this.store.keys.viewer(name);
    const res = await this.store.etcd.if(key, 'Create', '==', 0).then(this.store.putJson(key, stored)).commit();
    if (!res.succeeded) throw alreadyExists(`viewer "${name}"`, 'remove it first with `garagenet registry viewer remove`, or choose another name');
    return { viewer, credential: formatCredential({ kind: 'viewer', viewer: name, secret }) };
  }

  async list(): Promise<Viewer[]> {
    const stored = await this.store.list<StoredViewer>(this.store.keys.viewers);
    return stored.map(({ hash: _hash, ...viewer }) => viewer);
  }

  /** Removes a viewer: its credential is refused from the next call on. */
  async remove(name: string): Promise<Viewer> {
    checkName('name', name);
    const key = this.store.keys.viewer(name);
    const res = await this.store.etcd.delete().key(key).getPrevious();
    const previous = res[0];
    if (!previous) throw notFound(`viewer "${name}"`);
    const { hash: _hash, ...viewer } = JSON.parse(previous.value.toString()) as StoredViewer;
    return viewer;
  }

  /** Resolves a viewer credential to its viewer's name, or throws UNAUTHENTICATED. */
  async authenticate(name: string, secret: string): Promise<string> {
    const stored = await this.store.get<StoredViewer>(this.store.keys.viewer(name));
    if (!stored || !secretMatches(secret, stored.value.hash)) {
      throw unauthenticated(`viewer credential for "${name}" is not valid (the viewer may have been removed)`);
    }
    return name;
  }
}
