import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../common/errors.js';
import { validatePools, type Pools } from './address-plan.js';
import { formatCredential, newSecret, parseCredential } from './credentials.js';
import type { Mesh } from './model.js';
import { createSelfSignedCert } from './tls.js';

/**
 * The registry's state directory, made by `garagenet registry init`:
 *   registry.json     mesh (name, pools) and the address written into join strings
 *   tls.key, tls.crt  the registry's TLS identity (key mode 0600)
 *   admin.credential  the administrator credential (mode 0600)
 *   etcd/             the managed etcd's data, when no --etcd is given
 * Several registry processes serving one etcd cluster share a copy of it.
 */

export const DEFAULT_STATE_DIR = process.env.GARAGENET_REGISTRY_DIR ?? '/var/lib/garagenet/registry';

export interface RegistryState {
  dir: string;
  mesh: Mesh;
  address: string;
  keyPem: string;
  certPem: string;
  adminCredential: string;
}

const CONFIG = 'registry.json';

export async function initState(dir: string, options: { name: string; pools: Pools; address: string }): Promise<RegistryState> {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(options.name)) {
    throw new UserError(`mesh name "${options.name}" is not valid`, { hint: 'use a-z, 0-9 and "-"' });
  }
  validatePools(options.pools);
  const host = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(options.address);
  if (!host) throw new UserError(`--address "${options.address}" is not host:port`, { hint: 'e.g. 192.0.2.10:7443 or [2001:db8::1]:7443' });
  if (existsSync(join(dir, CONFIG))) {
    throw new UserError(`${dir} already holds a registry`, { hint: 'use another --state directory, or remove this one to start over' });
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mesh: Mesh = { name: options.name, ...options.pools, createdAt: new Date().toISOString() };
  const files = { keyFile: join(dir, 'tls.key'), certFile: join(dir, 'tls.crt') };
  try {
    const hosts = [...new Set([host[1] ?? host[2]!, 'localhost', '127.0.0.1', '::1'])];
    await createSelfSignedCert(files, { hosts, commonName: `garagenet registry ${options.name}` });
    writeFileSync(join(dir, 'admin.credential'), `${formatCredential({ kind: 'admin', secret: newSecret() })}\n`, { mode: 0o600 });
    // Written last: its presence means the directory is complete.
    writeFileSync(join(dir, CONFIG), `${JSON.stringify({ mesh, address: options.address }, null, 2)}\n`, { mode: 0o600 });
  } catch (err) {
    for (const f of [files.keyFile, files.certFile, join(dir, 'admin.credential')]) rmSync(f, { force: true });
    throw err;
  }
  return loadState(dir);
}

export function loadState(dir: string): RegistryState {
  const read = (file: string): string => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch {
      throw new UserError(`no registry state in ${dir} (missing ${file})`, { hint: 'run `garagenet registry init` first, or pass --state DIR' });
    }
  };
  const config = JSON.parse(read(CONFIG)) as { mesh: Mesh; address: string };
  const adminCredential = read('admin.credential').trim();
  if (!parseCredential(adminCredential)) throw new UserError(`${join(dir, 'admin.credential')} is damaged`);
  return { dir, mesh: config.mesh, address: config.address, keyPem: read('tls.key'), certPem: read('tls.crt'), adminCredential };
}
