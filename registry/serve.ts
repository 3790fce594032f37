import { UserError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { moveTimeFirstAuditKeys } from './audit-log.js';
import { ensureMesh } from './bootstrap.js';
import { hashSecret, parseCredential } from './credentials.js';
import { ManagedEtcd } from './etcd-process.js';
import { KeyLayout } from './keys.js';
import { startMetricsServer } from './metrics.js';
import { startServer } from './server.js';
import { RegistryService } from './service.js';
import type { RegistryState } from './state.js';
import { connectEtcd, Store, type EtcdTls } from './store.js';
import { certPin } from './tls.js';

/**
 * One registry process: its etcd (managed child, or the given cluster), the
 * mesh written into etcd on first start, and the gRPC server.
 */

/** How often each registry process stops experiments past their expiry. */
const EXPIRY_SWEEP_MS = 15_000;

export interface RunningRegistry {
  port: number;
  etcdEndpoints: string[];
  service: RegistryService;
  close(): Promise<void>;
}

export async function runRegistry(
  state: RegistryState,
  options: {
    listen: string; etcd?: string[]; etcdTls?: EtcdTls; keyPrefix?: string; metricsListen?: string; onProgress?: (line: string) => void;
  },
): Promise<RunningRegistry> {
  const log = createLogger('registry');
  let managed: ManagedEtcd | null = null;
  let endpoints = options.etcd ?? [];
  if (endpoints.length === 0) {
    options.onProgress?.(`starting managed etcd in ${state.dir}/etcd`);
    managed = new ManagedEtcd(state.dir);
    endpoints = [await managed.start()];
  }
  const etcd = connectEtcd(endpoints, options.etcdTls ? { tls: options.etcdTls } : {});
  try {
    const store = new Store(etcd, new KeyLayout(options.keyPrefix));
    const admin = parseCredential(state.adminCredential);
    if (admin?.kind !== 'admin') throw new Error('state holds no administrator credential');
    // etcd may still be electing a leader: keep trying for a while rather than exit.
    let mesh = state.mesh;
    let firstError: string | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        mesh = await ensureMesh(store, state.mesh, hashSecret(admin.secret));
        break;
      } catch (err) {
        if ((err as Error).name === 'UserError') throw err;
        // The circuit breaker's own message hides the cause: keep the first real one.
        firstError ??= /circuit breaker/.test((err as Error).message) ? undefined : (err as Error).message;
        if (attempt >= 20) {
          throw new UserError(`cannot reach etcd at ${endpoints.join(',')}: ${firstError ?? (err as Error).message}`, {
            hint: 'check the --etcd endpoints and, for https, --etcd-ca/--etcd-cert/--etcd-key',
          });
        }
        log.warn({ err: (err as Error).message }, 'etcd not ready; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const moved = await moveTimeFirstAuditKeys(store);
    if (moved > 0) log.info({ moved }, 'audit entries rekeyed newest first');
    const service = new RegistryService(store, mesh, { address: state.address, pin: certPin(state.certPem) });
    const server = await startServer(service, { store, listen: options.listen, keyPem: state.keyPem, certPem: state.certPem });
    const metricsServer = options.metricsListen ? await startMetricsServer(options.metricsListen) : null;
    const sweep = setInterval(() => {
      service.experiments.stopExpired().then(
        (stopped) => stopped.length > 0 && log.info({ stopped }, 'expired experiments stopped'),
        (err: Error) => log.warn({ err: err.message }, 'expiry sweep failed; next time'),
      );
    }, EXPIRY_SWEEP_MS);
    sweep.unref();
    return {
      port: server.port,
      etcdEndpoints: endpoints,
      service,
      async close(): Promise<void> {
        clearInterval(sweep);
        metricsServer?.close();
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
