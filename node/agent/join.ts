import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { UserError } from '../../common/errors.js';
import { fetchPinnedCert, RegistryCallError, RegistryClient } from '../../registry/client.js';
import { decodeJoinString } from '../../registry/joinString.js';
import type { JoinResponse } from '../../registry/model.js';
import { certPin } from '../../registry/tls.js';
import { generateKeyFile } from '../wireguard/keys.js';
import { detectEndpointHost } from './endpoint.js';
import { requirePrerequisites } from './prerequisites.js';
import {
  ensureStateDir, isJoined, loadIdentity, saveCredential, saveIdentity, saveMeshCache, type Identity, type StatePaths,
} from './state-dir.js';

/**
 * Registration, the first half of `garagenet join`: check the machine, make
 * the key, verify the registry's pin, redeem the invitation and write the
 * state directory. If anything fails, nothing new is left in the directory.
 */

export const DEFAULT_BASE_PORT = 51820;

export interface JoinOptions {
  /** host:port to register, "none" for a node that cannot be dialled; detected when absent. */
  endpoint?: string;
  name?: string;
  lanInterface?: string;
  /** Loopback ADDRESS:PORT for the agent's metrics. */
  metrics?: string;
  progress: (line: string) => void;
}

export type JoinResult = { alreadyJoined: true; identity: Identity } | { alreadyJoined: false; identity: Identity; response: JoinResponse };

function sameRegistry(identity: Identity, registry: string, pin: string): boolean {
  return identity.registry.address === registry && certPin(identity.registry.certPem) === pin;
}

function basePortOf(endpoint: string | undefined): number {
  const port = endpoint ? Number(/:(\d+)$/.exec(endpoint)?.[1]) : DEFAULT_BASE_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535 - 12_001) {
    throw new UserError(`--endpoint ${endpoint}: the port must be 1 to ${65535 - 12_001}`, { hint: 'tunnels listen on the ports just above it' });
  }
  return port;
}

export async function register(paths: StatePaths, joinString: string, options: JoinOptions): Promise<JoinResult> {
  const ticket = decodeJoinString(joinString);
  if (isJoined(paths)) {
    const identity = loadIdentity(paths);
    if (!sameRegistry(identity, ticket.registry, ticket.pin)) {
      throw new UserError(
        `this node is already node ${identity.node.name} of mesh ${identity.mesh.name} (registry ${identity.registry.address}); the join string is for another mesh (registry ${ticket.registry})`,
        { hint: 'run `garagenet leave` first to move this node to another mesh' },
      );
    }
    return { alreadyJoined: true, identity };
  }
  if (options.lanInterface !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(options.lanInterface)) {
    throw new UserError(`--lan "${options.lanInterface}" is not an interface name`);
  }
  if (options.metrics !== undefined && !/^(127\.\d+\.\d+\.\d+|\[::1\]):\d{1,5}$/.test(options.metrics)) {
    throw new UserError(`--metrics "${options.metrics}" is not a loopback ADDRESS:PORT`, { hint: 'metrics stay on the node: use 127.0.0.1:PORT' });
  }
  await requirePrerequisites();
  ensureStateDir(paths);

  options.progress(`checking the registry at ${ticket.registry} against the pin in the join string`);
  // The pin is checked before the secret leaves this machine.
  const certPem = await fetchPinnedCert(ticket.registry, ticket.pin);
  const client = new RegistryClient(ticket.registry, { certPem });
  const created: string[] = [];
  try {
    const { publicKey } = await generateKeyFile(paths.privateKey);
    created.push(paths.privateKey);
    let endpoint = options.endpoint;
    if (endpoint === undefined) {
      const host = await detectEndpointHost();
      endpoint = host === undefined ? 'none' : `${host}:${DEFAULT_BASE_PORT}`;
    }
    const endpoints = endpoint === 'none' ? [] : [endpoint];
    options.progress(`registering (endpoint ${endpoints[0] ?? 'none: behind NAT'})`);
    const response = await client.join({ invitation: ticket.invitation, secret: ticket.secret, publicKey, endpoints, ...(options.name ? { name: options.name } : {}) }).catch((err: unknown) => {
      if (err instanceof RegistryCallError) {
        throw new UserError(`the registry refused to join: ${err.details}`, { hint: 'ask the registry administrator for a new join string' });
      }
      throw err;
    });
    const identity: Identity = {
      version: 1,
      mesh: response.mesh,
      registry: { address: ticket.registry, certPem },
      node: response.node,
      allocations: response.allocations,
      interfaceTag: randomBytes(2).toString('hex'),
      basePort: basePortOf(endpoints[0]),
      ...(options.lanInterface ? { lanInterface: options.lanInterface } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    };
    await saveCredential(paths, response.credential);
    created.push(paths.credential);
    // Revision 0: the agent's first watch brings a snapshot of every peer.
    await saveMeshCache(paths, { revision: 0, peers: [], authorizations: response.authorizations });
    created.push(paths.mesh);
    // Written last: its presence means "joined".
    await saveIdentity(paths, identity);
    return { alreadyJoined: false, identity, response };
  } catch (err) {
    for (const file of created) await rm(file, { force: true });
    throw err;
  } finally {
    client.close();
  }
}
