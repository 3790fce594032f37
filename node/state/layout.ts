import { isIP } from 'node:net';
import { join } from 'node:path';
import { UserError } from '../../common/errors.js';
import { parsePrefix } from '../../common/prefix.js';
import type { Allocation, Authorization, Mesh, Node } from '../../registry/model.js';
import { generateKeyFile, isWireguardKey } from '../wireguard/keys.js';
import type { TunnelSpec } from '../tunnels/plan.js';
import { array, field, integer, matching, object, string } from './check.js';
import { readStateFile, stageStateFile, writeFailure, writeStateFile, type StagedFile, type StateFileSpec } from './state-file.js';

/**
 * The node's state directory (default /var/lib/garagenet): everything the
 * agent needs to come back after a restart, or to keep the data plane up
 * while the registry is away.
 *   node.json       who this node is: mesh, registry address and certificate, node record, allocations
 *   peers.json      the last known mesh: peers, authorizations, watch revision
 *   credential      the node's registry credential (secret, 0600)
 *   wireguard.key   the WireGuard private key (secret, 0600); wireguard.next.key during a rotation
 *   tunnels.json    the tunnels in place, adopted by the next start (node/tunnels)
 *   agent-api.json  optional, written by the operator: a TCP address for the agent API (node/agent/api/config.ts)
 *   agent.pid, agent.sock, agent.log   the running agent
 * Every file is read through readStateFile (one line naming file, field and
 * fix) and written through the atomic writer of node/state/state-file.ts.
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

const REJOIN = 'restore the file from a backup, or run `garagenet leave --local` and join again with a new join string';
const REFETCH = 'delete it: the agent fetches the mesh again from the registry';

const isKey = (s: string): boolean => isWireguardKey(s);
const isHostPort = (s: string): boolean => /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(s) && Number(s.split(':').at(-1)) <= 65535;
const isAddress = (s: string): boolean => isIP(s) !== 0;
const isInterface = (s: string): boolean => /^[A-Za-z0-9_.-]{1,15}$/.test(s);
const isLoopbackPort = (s: string): boolean => /^(127\.\d+\.\d+\.\d+|\[::1\]):\d{1,5}$/.test(s);
function prefixCheck(options: { allowHostBits: boolean }): (s: string) => boolean {
  return (s) => {
    try {
      parsePrefix(s, options);
      return true;
    } catch {
      return false;
    }
  };
}
const isPrefix = prefixCheck({ allowHostBits: false });
/** An interface address such as 10.255.1.0/31: host bits allowed. */
const isPrefixOrHost = prefixCheck({ allowHostBits: true });
const asnRange = { min: 1, max: 0xffffffff };
const isPlane = (s: string): boolean => s === 'production' || s === 'experimental';

/** A node record (ours in node.json, a peer's in peers.json): the fields the agent builds tunnels and sessions from. */
function nodeRecord(value: unknown, at: string): Node {
  const n = object(value, at);
  string(...field(n, 'name', at));
  matching(...field(n, 'publicKey', at), isKey, 'a WireGuard public key');
  integer(...field(n, 'asn', at), asnRange);
  integer(...field(n, 'slot', at), { min: 1, max: 0xffffff });
  array(...field(n, 'endpoints', at), (v, a) => matching(v, a, isHostPort, 'host:port'));
  for (const key of ['productionLoopbackV4', 'productionLoopbackV6', 'experimentalLoopbackV4', 'experimentalLoopbackV6']) {
    matching(...field(n, key, at), isAddress, 'an IP address');
  }
  return n as unknown as Node;
}

/** node.json: written once by `join` (and on key rotation); its presence means "joined". */
export const identityFile: StateFileSpec<Identity> = {
  name: 'node.json',
  secret: false,
  fix: REJOIN,
  check(value): Identity {
    const doc = object(value, '');
    const version = integer(doc.version, 'version', { min: 1, max: Number.MAX_SAFE_INTEGER });
    if (version !== 1) throw new Error(`version ${version} was written by a newer garagenet (this one reads 1)`);
    const mesh = object(...field(doc, 'mesh', ''));
    string(mesh.name, 'mesh.name');
    for (const key of ['productionV4', 'productionV6', 'experimentalV4', 'experimentalV6']) matching(mesh[key], `mesh.${key}`, isPrefix, 'a prefix');
    const registry = object(...field(doc, 'registry', ''));
    const address = matching(registry.address, 'registry.address', isHostPort, 'host:port');
    const certPem = matching(registry.certPem, 'registry.certPem', (s) => s.includes('BEGIN CERTIFICATE'), 'a PEM certificate');
    const node = nodeRecord(...field(doc, 'node', ''));
    const allocations = array(...field(doc, 'allocations', ''), (item, at): Allocation => {
      const a = object(item, at);
      string(...field(a, 'id', at));
      matching(...field(a, 'prefix', at), isPrefix, 'a prefix');
      matching(...field(a, 'plane', at), isPlane, 'production or experimental');
      string(...field(a, 'purpose', at));
      return a as unknown as Allocation;
    });
    const interfaceTag = matching(doc.interfaceTag, 'interfaceTag', (s) => /^[a-z0-9]{2,6}$/.test(s), '2-6 letters or digits');
    const basePort = integer(doc.basePort, 'basePort', { min: 1, max: 65535 });
    const lan = doc.lanInterface === undefined ? undefined : matching(doc.lanInterface, 'lanInterface', isInterface, 'an interface name');
    const metrics = doc.metrics === undefined ? undefined : matching(doc.metrics, 'metrics', isLoopbackPort, 'a loopback ADDRESS:PORT such as 127.0.0.1:9464');
    return {
      version: 1, mesh: mesh as unknown as Mesh, registry: { address, certPem }, node, allocations, interfaceTag, basePort,
      ...(lan ? { lanInterface: lan } : {}), ...(metrics ? { metrics } : {}),
    };
  },
};

/** peers.json: the last known mesh, rewritten after each registry change. */
export const meshFile: StateFileSpec<MeshCache> = {
  name: 'peers.json',
  secret: false,
  fix: REFETCH,
  check(value): MeshCache {
    const doc = object(value, '');
    return {
      revision: integer(doc.revision, 'revision', { min: 0, max: Number.MAX_SAFE_INTEGER }),
      peers: array(doc.peers, 'peers', nodeRecord),
      authorizations: array(doc.authorizations, 'authorizations', (item, at): Authorization => {
        const a = object(item, at);
        matching(...field(a, 'prefix', at), isPrefix, 'a prefix');
        integer(...field(a, 'maxLength', at), { min: 0, max: 128 });
        integer(...field(a, 'originAsn', at), asnRange);
        matching(...field(a, 'plane', at), isPlane, 'production or experimental');
        return a as unknown as Authorization;
      }),
    };
  },
};

/** credential: the bearer token the registry gave at join (one line of text). */
export const credentialFile: StateFileSpec<string> = {
  name: 'credential',
  secret: true,
  format: 'text',
  fix: REJOIN,
  check(value): string {
    if (typeof value !== 'string' || !/^\S+$/.test(value)) throw new Error('expected one token on one line');
    return value;
  },
};

/** tunnels.json: the tunnels last put in place, the starting point of the next reconcile after a restart. */
export const tunnelsFile: StateFileSpec<TunnelSpec[]> = {
  name: 'tunnels.json',
  secret: false,
  fix: 'delete it: the node then rebuilds its tunnels from the mesh state',
  check(value): TunnelSpec[] {
    return array(value, 'tunnels', (item, at): TunnelSpec => {
      const t = object(item, at);
      const endpoint = t.endpoint === null ? null : matching(...field(t, 'endpoint', at), isHostPort, 'host:port or null');
      return {
        peer: string(...field(t, 'peer', at)),
        interfaceName: matching(...field(t, 'interfaceName', at), isInterface, 'an interface name'),
        listenPort: integer(...field(t, 'listenPort', at), { min: 1, max: 65535 }),
        peerPublicKey: matching(...field(t, 'peerPublicKey', at), isKey, 'a WireGuard public key'),
        endpoint,
        keepalive: integer(...field(t, 'keepalive', at), { min: 0, max: 65535 }),
        addresses: array(...field(t, 'addresses', at), (v, a) => matching(v, a, isPrefixOrHost, 'an address with prefix length')),
      };
    });
  },
};

export interface StatePaths {
  dir: string;
  identity: string;
  mesh: string;
  credential: string;
  tunnels: string;
  privateKey: string;
  nextPrivateKey: string;
  pid: string;
  socket: string;
  log: string;
}

export function statePaths(dir: string): StatePaths {
  return {
    dir,
    identity: join(dir, identityFile.name),
    mesh: join(dir, meshFile.name),
    credential: join(dir, credentialFile.name),
    tunnels: join(dir, tunnelsFile.name),
    privateKey: join(dir, 'wireguard.key'),
    nextPrivateKey: join(dir, 'wireguard.next.key'),
    pid: join(dir, 'agent.pid'),
    socket: join(dir, 'agent.sock'),
    log: join(dir, 'agent.log'),
  };
}

export function loadIdentity(paths: StatePaths): Identity {
  const identity = readStateFile(paths.dir, identityFile);
  if (identity === null) throw new UserError(`${paths.identity} is missing`, { hint: 'this node has not joined a mesh: run `garagenet join JOIN_STRING`' });
  return identity;
}

/** The last known mesh; an empty one if there is none yet. A damaged cache is an error: the operator must know. */
export function loadMeshCache(paths: StatePaths): MeshCache {
  return readStateFile(paths.dir, meshFile) ?? { revision: 0, peers: [], authorizations: [] };
}

export function loadCredential(paths: StatePaths): string {
  const credential = readStateFile(paths.dir, credentialFile);
  if (credential === null) throw new UserError(`${paths.credential} is missing`, { hint: REJOIN });
  return credential;
}

export function stageIdentity(paths: StatePaths, identity: Identity): Promise<StagedFile> {
  return stageStateFile(paths.dir, identityFile, identity);
}

export function saveMeshCache(paths: StatePaths, cache: MeshCache): Promise<void> {
  return writeStateFile(paths.dir, meshFile, cache);
}

/** A new WireGuard key into `file` (0600, atomic, through node/wireguard/keys.ts); a full disk is said so. */
export async function createKeyFile(file: string): Promise<{ publicKey: string }> {
  // A `wg` that fails to run is already a UserError, which writeFailure passes on as it is.
  return generateKeyFile(file).catch((err: unknown) => {
    throw writeFailure(file, err);
  });
}
