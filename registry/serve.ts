import { createLogger } from '../common/log.js';
import { ensureMesh } from './bootstrap.js';
import { hashSecret, parseCredential } from './credentials.js';
import { ManagedEtcd } from './etcdProcess.js';
import { KeyLayout } from './keys.js';
import { startServer } from './server.js';
import { RegistryService } from './service.js';
import type { RegistryState } from './state.js';
import { connectEtcd, Store } from './store.js';
import { certPin } from './tls.js';

/**
 * One registry process: its etcd (managed child, or the given cluster), the
 * mesh written into etcd on first start, and the gRPC server.
 */

export interface RunningRegistry {
  port: number;
  etcdEndpoints: string[];
  service: RegistryService;
  close(): Promise<void>;
}

export async function runRegistry(
  state: RegistryState,
  options: { listen: string; etcd?: string[]; etcdCaFile?: string; keyPrefix?: string; onProgress?: (line: string) => void },
): Promise<RunningRegistry> {
  const log = createLogger('registry');
  let managed: ManagedEtcd | null = null;
  let endpoints = options.etcd ?? [];
  if (endpoints.length === 0) {
    options.onProgress?.(`starting managed etcd in ${state.dir}/etcd`);
    managed = new ManagedEtcd(state.dir);
    endpoints = [await managed.start()];
  }
  const etcd = connectEtcd(endpoints, options.etcdCaFile ? { caFile: options.etcdCaFile } : {});
  try {
    const store = new Store(etcd, new KeyLayout(options.keyPrefix));
    const admin = parseCredential(state.adminCredential);
    if (admin?.kind !== 'admin') throw new Error('state holds no administrator credential');
    // etcd may still be electing a leader: keep trying for a while rather than exit.
    let mesh = state.mesh;
    for (let attempt = 0; ; attempt++) {
      try {
        mesh = await ensureMesh(store, state.mesh, hashSecret(admin.secret));
        break;
      } catch (err) {
        if (attempt >= 20 || (err as Error).name === 'UserError') throw err;
        log.warn({ err: (err as Error).message }, 'etcd not ready; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const service = new RegistryService(store, mesh, { address: state.address, pin: certPin(state.certPem) });
    const server = await startServer(service, { store, listen: options.listen, keyPem: state.keyPem, certPem: state.certPem });
    return {
      port: server.port,
      etcdEndpoints: endpoints,
      service,
      async close(): Promise<void> {
        await server.close();
        etcd.close();
        await managed?.stop();
      },
    };
  } catch (err) {
    etcd.close();
    await managed?.stop();
    throw err;
  }
}
