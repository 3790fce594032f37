import { readFileSync } from 'node:fs';
import { Etcd3, type IOptions, type PutBuilder } from 'etcd3';
import { UserError } from '../common/errors.js';
import { KeyLayout } from './keys.js';

/**
 * The registry's view of etcd: JSON records under a KeyLayout. Every call
 * has a deadline so that a missing etcd turns into UNAVAILABLE quickly
 * instead of a hung request.
 */

export interface StoredValue<T> {
  value: T;
  modRevision: number;
}

export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

/**
 * Re-dial a lost watch within 2 s at most (etcd3's default grows to 30 s), so
 * that nodes' streams resume soon after etcd returns.
 */
function watchBackoff(attempt = 0): WatchBackoff {
  return { duration: Math.min(2000, 100 * 2 ** attempt), next: () => watchBackoff(attempt + 1) } as WatchBackoff;
}

/** TLS to an etcd cluster: its CA, and the registry's client certificate if the cluster asks for one. */
export interface EtcdTls {
  caFile: string;
  certFile?: string;
  keyFile?: string;
}

function readTlsFile(option: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UserError(`${option} ${file}: ${(err as Error).message}`, { hint: 'give a readable PEM file' });
  }
}

export function connectEtcd(endpoints: string[], options: { tls?: EtcdTls; callTimeoutMs?: number } = {}): Etcd3 {
  const tls = options.tls;
  const timeout = options.callTimeoutMs ?? 3000;
  return new Etcd3({
    hosts: endpoints,
    dialTimeout: timeout,
    ...(tls
      ? {
          credentials: {
            rootCertificate: readTlsFile('--etcd-ca', tls.caFile),
            ...(tls.certFile ? { certChain: readTlsFile('--etcd-cert', tls.certFile) } : {}),
            ...(tls.keyFile ? { privateKey: readTlsFile('--etcd-key', tls.keyFile) } : {}),
          },
        }
      : {}),
    faultHandling: { watchBackoff: watchBackoff() },
    // The whole public state of a large mesh is read in one range (about 3.5 kB per node).
    grpcOptions: { 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeout }),
  });
}

export class Store {
  constructor(readonly etcd: Etcd3, readonly keys: KeyLayout = new KeyLayout()) {}

  async get<T>(key: string): Promise<StoredValue<T> | null> {
    const res = await this.etcd.get(key).exec();
    const kv = res.kvs[0];
    return kv ? { value: JSON.parse(kv.value.toString()) as T, modRevision: Number(kv.mod_revision) } : null;
  }

  /** A put of a JSON record: run it with `.exec()`, or pass it into a transaction. */
  putJson(key: string, value: unknown): PutBuilder {
    return this.etcd.put(key).value(JSON.stringify(value));
  }

  async list<T>(prefix: string): Promise<T[]> {
    const res = await this.etcd.getAll().prefix(prefix).exec();
    return res.kvs.map((kv) => JSON.parse(kv.value.toString()) as T);
  }

  /** Every key and value under `prefix`, read at one revision, with that revision. */
  async snapshot(prefix: string): Promise<{ revision: number; entries: { key: string; value: Buffer }[] }> {
    const res = await this.etcd.getAll().prefix(prefix).exec();
    return {
      revision: Number(res.header.revision),
      entries: res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value })),
    };
  }

  /** The slot numbers already claimed under a slot directory. */
  async takenSlots(prefix: string): Promise<Set<number>> {
    const keys = await this.etcd.getAll().prefix(prefix).keys();
    return new Set(keys.map((k) => Number(k.slice(prefix.length))));
  }
}
