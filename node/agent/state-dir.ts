import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../common/errors.js';
import type { Allocation, Authorization, Mesh, Node } from '../../registry/model.js';
import { writeFileAtomic, writeSecretFile } from '../system/atomic-file.js';

/**
 * The node's state directory (default /var/lib/garagenet): everything the
 * agent needs to come back after a restart, or to keep the data plane up
 * while the registry is away.
 *   node.json       who this node is: mesh, registry address and certificate, node record, allocations
 *   peers.json      the last known mesh: peers, authorizations, watch revision
 *   credential      the node's registry credential (0600)
 *   wireguard.key   the WireGuard private key (0600); wireguard.next.key during a rotation
 *   tunnels.json    the tunnels in place (node/state, node/tunnels)
 *   agent.pid, agent.sock, agent.log   the running agent
 */

export const DEFAULT_NODE_STATE_DIR = process.env.GARAGENET_STATE_DIR ?? '/var/lib/garagenet';

export interface Identity {
  version: 1;
  mesh: Mesh;
  registry: { address: string; certPem: string };
  node: Node;
  allocations: Allocation[];
  /** Makes this node's interface names unique on a machine that runs several nodes (tests, the demo). */
  interfaceTag: string;
  /** UDP port of the registered endpoint; the tunnel towards a peer listens on a port derived from it. */
  basePort: number;
  /** Interface that gets the first address of the garage allocation, if the operator named one. */
  lanInterface?: string;
  /** Loopback ADDRESS:PORT of the agent's Prometheus metrics (the route daemon's is the next port). */
  metrics?: string;
}

export interface MeshCache {
  revision: number;
  peers: Node[];
  authorizations: Authorization[];
}

export interface StatePaths {
  dir: string;
  identity: string;
  mesh: string;
  credential: string;
  privateKey: string;
  nextPrivateKey: string;
  pid: string;
  socket: string;
  log: string;
}

export function statePaths(dir: string): StatePaths {
  return {
    dir,
    identity: join(dir, 'node.json'),
    mesh: join(dir, 'peers.json'),
    credential: join(dir, 'credential'),
    privateKey: join(dir, 'wireguard.key'),
    nextPrivateKey: join(dir, 'wireguard.next.key'),
    pid: join(dir, 'agent.pid'),
    socket: join(dir, 'agent.sock'),
    log: join(dir, 'agent.log'),
  };
}

const REJOIN = 'restore the file from a backup, or run `garagenet leave --local` and join again with a new join string';

export function isJoined(paths: StatePaths): boolean {
  return existsSync(paths.identity);
}

export function ensureStateDir(paths: StatePaths): void {
  try {
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new UserError(`cannot create the state directory ${paths.dir}: ${(err as Error).message}`, { hint: 'run as root, or pass --state-dir DIR' });
  }
}

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${file} is missing`, { hint: 'this node has not joined a mesh: run `garagenet join JOIN_STRING`' });
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`, { hint: 'run as root' });
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${file} is damaged: ${(err as Error).message}`, { hint: REJOIN });
  }
}

function field<T>(file: string, record: Record<string, unknown>, key: string, check: (v: unknown) => boolean, what: string): T {
  const value = record[key];
  if (!check(value)) throw new UserError(`${file}: field "${key}" is missing or not ${what}`, { hint: REJOIN });
  return value as T;
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const isPort = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536;

export function loadIdentity(paths: StatePaths): Identity {
  const file = paths.identity;
  const raw = readJson(file);
  if (raw.version !== 1) throw new UserError(`${file}: unknown version ${JSON.stringify(raw.version)}`, { hint: 'use the garagenet release that wrote it' });
  const mesh = field<Mesh>(file, raw, 'mesh', isObject, 'an object');
  field<string>(file, mesh as unknown as Record<string, unknown>, 'name', isString, 'a mesh name');
  const registry = field<Identity['registry']>(file, raw, 'registry', isObject, 'an object');
  field<string>(file, registry as unknown as Record<string, unknown>, 'address', isString, 'host:port');
  field<string>(file, registry as unknown as Record<string, unknown>, 'certPem', (v) => typeof v === 'string' && v.includes('BEGIN CERTIFICATE'), 'a PEM certificate');
  const node = field<Node>(file, raw, 'node', isObject, 'an object');
  for (const key of ['name', 'publicKey', 'productionLoopbackV4', 'productionLoopbackV6', 'experimentalLoopbackV4', 'experimentalLoopbackV6']) {
    field<string>(file, node as unknown as Record<string, unknown>, key, isString, 'set');
  }
  field<number>(file, node as unknown as Record<string, unknown>, 'asn', (v) => Number.isInteger(v) && (v as number) > 0, 'an AS number');
  field<number>(file, node as unknown as Record<string, unknown>, 'slot', (v) => Number.isInteger(v) && (v as number) > 0, 'a slot number');
  const allocations = field<Allocation[]>(file, raw, 'allocations', Array.isArray, 'a list');
  const interfaceTag = field<string>(file, raw, 'interfaceTag', (v) => typeof v === 'string' && /^[a-z0-9]{2,6}$/.test(v), '2-6 letters or digits');
  const basePort = field<number>(file, raw, 'basePort', isPort, 'a UDP port');
  const lan = raw.lanInterface;
  if (lan !== undefined && !(typeof lan === 'string' && /^[A-Za-z0-9_.-]{1,15}$/.test(lan))) {
    throw new UserError(`${file}: field "lanInterface" is not an interface name`, { hint: REJOIN });
  }
  const metrics = raw.metrics;
  if (metrics !== undefined && !(typeof metrics === 'string' && /^(127\.\d+\.\d+\.\d+|\[::1\]):\d{1,5}$/.test(metrics))) {
    throw new UserError(`${file}: field "metrics" is not a loopback ADDRESS:PORT`, { hint: 'write it like 127.0.0.1:9464' });
  }
  return {
    version: 1, mesh, registry, node, allocations, interfaceTag, basePort,
    ...(lan ? { lanInterface: lan as string } : {}), ...(metrics ? { metrics: metrics as string } : {}),
  };
}

/** The last known mesh; an empty one if there is none yet. A damaged cache is an error: the operator must know. */
export function loadMeshCache(paths: StatePaths): MeshCache {
  if (!existsSync(paths.mesh)) return { revision: 0, peers: [], authorizations: [] };
  const file = paths.mesh;
  const raw = readJson(file);
  const revision = field<number>(file, raw, 'revision', (v) => Number.isInteger(v) && (v as number) >= 0, 'a revision number');
  const peers = field<Node[]>(file, raw, 'peers', Array.isArray, 'a list');
  const authorizations = field<Authorization[]>(file, raw, 'authorizations', Array.isArray, 'a list');
  peers.forEach((p, i) => {
    if (!isObject(p) || !isString(p.name) || !isString(p.publicKey)) {
      throw new UserError(`${file}: peers[${i}] is not a node record`, { hint: 'delete peers.json: the agent fetches the mesh again from the registry' });
    }
  });
  return { revision, peers, authorizations };
}

export function loadCredential(paths: StatePaths): string {
  try {
    const text = readFileSync(paths.credential, 'utf8').trim();
    if (text.length === 0) throw new Error('empty');
    return text;
  } catch (err) {
    throw new UserError(`cannot read the node credential ${paths.credential}: ${(err as Error).message}`, { hint: REJOIN });
  }
}

export async function saveIdentity(paths: StatePaths, identity: Identity): Promise<void> {
  await writeFileAtomic(paths.identity, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
}

export async function saveMeshCache(paths: StatePaths, cache: MeshCache): Promise<void> {
  await writeFileAtomic(paths.mesh, `${JSON.stringify(cache)}\n`, { mode: 0o600 });
}

export async function saveCredential(paths: StatePaths, credential: string): Promise<void> {
  await writeSecretFile(paths.credential, `${credential}\n`);
}
