import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { oneLine, UserError } from '../../common/errors.js';
import { fetchPinnedCert, RegistryCallError, RegistryClient } from '../../registry/client.js';
import { decodeJoinString } from '../../registry/join-string.js';
import type { JoinResponse } from '../../registry/model.js';
import { certPin } from '../../registry/tls.js';
import { detectEndpointHost } from './endpoint.js';
import { requirePrerequisites } from './prerequisites.js';
import {
  createKeyFile, credentialFile, identityFile, meshFile, type Identity, type StatePaths,
} from '../state/layout.js';
import { ensureStateDir, readStateFile, stageStateFile, type StagedFile } from '../state/state-file.js';

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

/** A join string given to a node that joined already: the same mesh changes nothing, any other is refused. */
function checkSameMesh(identity: Identity, ticket: { registry: string; pin: string }): void {
  const where = `this node is already node ${identity.node.name} of mesh ${identity.mesh.name} (registry ${identity.registry.address})`;
  if (identity.registry.address !== ticket.registry) {
    throw new UserError(`${where}; the join string is for another mesh (registry ${ticket.registry}); nothing changed`, {
      hint: 'run `garagenet leave` first to move this node to another mesh',
    });
  }
  if (certPin(identity.registry.certPem) !== ticket.pin) {
    throw new UserError(`${where}; the join string names that registry with another certificate pin (${ticket.pin}); nothing changed`, {
      hint: 'check the join string with the registry administrator; this node keeps the certificate it joined with',
    });
  }
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
  const joined = readStateFile(paths.dir, identityFile);
  if (joined !== null) {
    checkSameMesh(joined, ticket);
    return { alreadyJoined: true, identity: joined };
  }
  if (options.lanInterface !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(options.lanInterface)) {
    throw new UserError(`--lan "${options.lanInterface}" is not an interface name`);
  }
  if (options.metrics !== undefined && !/^(127\.\d+\.\d+\.\d+|\[::1\]):\d{1,5}$/.test(options.metrics)) {
    throw new UserError(`--metrics "${options.metrics}" is not a loopback ADDRESS:PORT`, { hint: 'metrics stay on the node: use 127.0.0.1:PORT' });
  }
  await requirePrerequisites();
  await ensureStateDir(paths.dir);

  options.progress(`checking the registry at ${ticket.registry} against the pin in the join string`);
  // The pin is checked before the secret leaves this machine.
  const certPem = await fetchPinnedCert(ticket.registry, ticket.pin);
  const client = new RegistryClient(ticket.registry, { certPem });
  try {
    const { publicKey } = await createKeyFile(paths.privateKey);
    let endpoint = options.endpoint;
    if (endpoint === undefined) {
      const host = await detectEndpointHost();
      endpoint = host === undefined ? 'none' : `${host}:${DEFAULT_BASE_PORT}`;
    }
    const endpoints = endpoint === 'none' ? [] : [endpoint];
    const basePort = basePortOf(endpoints[0]);
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
      basePort,
      ...(options.lanInterface ? { lanInterface: options.lanInterface } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    };
    await writeJoinedState(paths, identity, response).catch(async (err: unknown) => {
      // Registered but not written (a full disk): undo the registration so that no node without a home is left in the mesh.
      client.setCredential(response.credential);
      const undone = await client.leave().then(() => 'the registration was undone', (e: unknown) => `the registry still lists ${response.node.name} (${oneLine(e)})`);
      const cause = err instanceof UserError ? err : new UserError(oneLine(err));
      throw new UserError(`${cause.message}; ${undone}`, { hint: `${cause.hint ? `${cause.hint}; ` : ''}then join with a new join string` });
    });
    return { alreadyJoined: false, identity, response };
  } catch (err) {
    await rm(paths.privateKey, { force: true });
    throw err;
  } finally {
    client.close();
  }
}

/**
 * All three files are written beside their final names first, then renamed
 * in one go, node.json last (its presence means "joined"): a full disk
 * fails before any of them exists.
 */
async function writeJoinedState(paths: StatePaths, identity: Identity, response: JoinResponse): Promise<void> {
  const staged: StagedFile[] = [];
  try {
    staged.push(await stageStateFile(paths.dir, credentialFile, response.credential));
    // Revision 0: the agent's first watch brings a snapshot of every peer.
    staged.push(await stageStateFile(paths.dir, meshFile, { revision: 0, peers: [], authorizations: response.authorizations }));
    staged.push(await stageStateFile(paths.dir, identityFile, identity));
  } catch (err) {
    for (const file of staged) await file.abort();
    throw err;
  }
  const committed: string[] = [];
  try {
    for (const file of staged) {
      await file.commit();
      committed.push(file.path);
    }
  } catch (err) {
    for (const file of staged) await file.abort();
    for (const path of committed) await rm(path, { force: true });
    throw err;
  }
}
