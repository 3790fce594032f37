import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POOLS, type Pools } from './address-plan.js';
import { RegistryClient } from './client.js';
import { EtcdMember } from './etcd-process.js';
import { freePort } from '../common/free-port.js';
import { runRegistry, type RunningRegistry } from './serve.js';
import { initState, type RegistryState } from './state.js';
import type { EtcdTls } from './store.js';

/**
 * A real registry (real etcd, real TLS gRPC) on loopback, in a temporary state
 * directory: for integration tests, benchmarks and the one-machine demo.
 */
export interface LocalRegistry {
  state: RegistryState;
  registry: RunningRegistry;
  address: string;
  admin: RegistryClient;
  /** A client with the registry's certificate and no credential (or the given one). */
  client(credential?: string): RegistryClient;
  close(): Promise<void>;
}

export interface LocalRegistryOptions {
  pools?: Pools;
  /** etcd endpoints; a managed etcd in the state directory if absent. */
  etcd?: string[];
  etcdTls?: EtcdTls;
  /** Serve an existing mesh (another process's state) instead of creating one. */
  state?: RegistryState;
  keyPrefix?: string;
  name?: string;
  port?: number;
}

export async function startLocalRegistry(options: LocalRegistryOptions = {}): Promise<LocalRegistry> {
  const dir = options.state ? options.state.dir : mkdtempSync(join(tmpdir(), 'gn-registry-'));
  const port = options.port ?? (await freePort());
  const address = `127.0.0.1:${port}`;
  const state = options.state
    ? { ...options.state, address }
    : await initState(dir, { name: options.name ?? 'testmesh', pools: options.pools ?? DEFAULT_POOLS, address });
  const registry = await runRegistry(state, {
    listen: address,
    ...(options.etcd ? { etcd: options.etcd } : {}),
    ...(options.etcdTls ? { etcdTls: options.etcdTls } : {}),
    ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
  });
  const clients: RegistryClient[] = [];
  const client = (credential?: string): RegistryClient => {
    const c = new RegistryClient(address, { certPem: state.certPem, ...(credential ? { credential } : {}), timeoutMs: 8000 });
    clients.push(c);
    return c;
  };
  return {
    state,
    registry,
    address,
    admin: client(state.adminCredential),
    client,
    async close(): Promise<void> {
      for (const c of clients) c.close();
      await registry.close();
      if (!options.state) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh WireGuard-style public key (X25519, base64), as `wg pubkey` prints. */
export function wgPublicKey(): string {
  const { publicKey } = generateKeyPairSync('x25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32).toString('base64');
}

/** Starts one real etcd member on free loopback ports in a temporary directory. */
export interface LocalEtcd {
  member: EtcdMember;
  url: string;
  close(): Promise<void>;
}

export async function startLocalEtcd(): Promise<LocalEtcd> {
  const dir = mkdtempSync(join(tmpdir(), 'gn-etcd-'));
  const member = new EtcdMember({ name: 'local', dataDir: join(dir, 'data'), clientPort: await freePort(), peerPort: await freePort() });
  await member.start();
  return {
    member,
    url: member.clientUrl,
    async close(): Promise<void> {
      await member.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
