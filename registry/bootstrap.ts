import { UserError } from '../common/errors.js';
import type { Mesh } from './model.js';
import type { Store } from './store.js';

/**
 * Writes the mesh (from the state directory made by `init`) and the hash of
 * the administrator credential into etcd the first time any registry process
 * starts on it; later processes check that they serve the same mesh.
 */
export async function ensureMesh(store: Store, mesh: Mesh, adminHash: string): Promise<Mesh> {
  const res = await store.etcd
    .if(store.keys.mesh, 'Create', '==', 0)
    .then(store.etcd.put(store.keys.mesh).value(JSON.stringify(mesh)), store.etcd.put(store.keys.adminHash).value(JSON.stringify({ hash: adminHash })))
    .else(store.etcd.get(store.keys.mesh), store.etcd.get(store.keys.adminHash))
    .commit();
  if (res.succeeded) return mesh;
  const [meshKv, adminKv] = res.responses.map((r) => r.response_range.kvs[0]);
  const stored = JSON.parse(meshKv!.value.toString()) as Mesh;
  const storedAdmin = adminKv ? (JSON.parse(adminKv.value.toString()) as { hash: string }).hash : '';
  if (stored.name !== mesh.name || storedAdmin !== adminHash) {
    throw new UserError(`etcd already holds mesh "${stored.name}" made by another \`registry init\``, {
      hint: 'point --etcd at this mesh\'s cluster, or copy the state directory of the registry that created it',
    });
  }
  return stored;
}
