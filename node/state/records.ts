import { isIP } from 'node:net';
import { parsePrefix } from '../../common/prefix.js';
import { isWireguardKey } from '../wireguard/keys.js';
import { array, field, integer, matching, object, string } from './check.js';
import type { TunnelSpec } from '../tunnels/plan.js';
import type { StateFileSpec } from './state-file.js';

/**
 * The files of the state directory (default /var/lib/garagenet):
 *   identity.json     who this node is and which registry it belongs to (not secret)
 *   credential.json   the node's credential for the registry (secret, 0600)
 *   wireguard.key     the WireGuard private key (secret, 0600; written by node/wireguard/keys.ts)
 *   mesh.json         the last mesh state received from the registry, so the
 *                     data plane comes back after a restart with the registry unreachable
 *   tunnels.json      the tunnels last put in place, the starting point of the
 *                     next reconcile after a restart
 */
export const WIREGUARD_KEY_FILE = 'wireguard.key';
const STATE_VERSION = 1;

export interface Identity {
  version: 1;
  name: string;
  asn: number;
  /** host:port of the registry, and the SHA-256 pin of its TLS certificate (hex). */
  registry: { address: string; pin: string };
  publicKey: string;
}

export interface Credential {
  version: 1;
  nodeId: string;
  token: string;
}

export interface MeshPeer {
  name: string;
  asn: number;
  publicKey: string;
  /** host:port, or null when the peer is behind NAT and dials us. */
  endpoint: string | null;
  loopbacks: string[];
  prefixes: string[];
}

export interface MeshState {
  version: 1;
  /** The registry revision this state reflects; the watch resumes from here. */
  revision: number;
  peers: MeshPeer[];
}

function version(doc: Record<string, unknown>): 1 {
  const v = integer(doc.version, 'version', { min: 1, max: Number.MAX_SAFE_INTEGER });
  if (v !== STATE_VERSION) throw new Error(`version ${v} was written by a newer garagenet (this one reads ${STATE_VERSION})`);
  return STATE_VERSION;
}

const asnRange = { min: 1, max: 0xffffffff };
const isKey = (s: string): boolean => isWireguardKey(s);
const isHostPort = (s: string): boolean => /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(s) && Number(s.split(':').at(-1)) <= 65535;
const isAddress = (s: string): boolean => isIP(s) !== 0;
const isPrefix = (s: string): boolean => {
  try {
    parsePrefix(s);
    return true;
  } catch {
    return false;
  }
};
/** An interface address such as 10.255.1.0/31: host bits allowed. */
const isPrefixOrHost = (s: string): boolean => {
  try {
    parsePrefix(s, { allowHostBits: true });
    return true;
  } catch {
    return false;
  }
};

export const identityFile: StateFileSpec<Identity> = {
  name: 'identity.json',
  secret: false,
  fix: 'restore it from a backup; without it the node must leave and join again (garagenet leave, then garagenet join)',
  check(value): Identity {
    const doc = object(value, '');
    const registry = object(...field(doc, 'registry', ''));
    return {
      version: version(doc),
      name: matching(doc.name, 'name', (s) => /^[a-z0-9][a-z0-9-]{0,62}$/.test(s), 'a node name (lowercase letters, digits, "-")'),
      asn: integer(doc.asn, 'asn', asnRange),
      registry: {
        address: matching(registry.address, 'registry.address', isHostPort, 'host:port'),
        pin: matching(registry.pin, 'registry.pin', (s) => /^[0-9a-f]{64}$/.test(s), 'a SHA-256 pin (64 hex digits)'),
      },
      publicKey: matching(doc.publicKey, 'publicKey', isKey, 'a WireGuard public key'),
    };
  },
};

export const credentialFile: StateFileSpec<Credential> = {
  name: 'credential.json',
  secret: true,
  fix: 'the node must join again to get a new credential (garagenet leave, then garagenet join)',
  check(value): Credential {
    const doc = object(value, '');
    return { version: version(doc), nodeId: string(doc.nodeId, 'nodeId'), token: string(doc.token, 'token') };
  },
};

export const meshFile: StateFileSpec<MeshState> = {
  name: 'mesh.json',
  secret: false,
  fix: 'delete it: the node fetches the mesh state again from the registry when it can reach it',
  check(value): MeshState {
    const doc = object(value, '');
    return {
      version: version(doc),
      revision: integer(doc.revision, 'revision', { min: 0, max: Number.MAX_SAFE_INTEGER }),
      peers: array(doc.peers, 'peers', (item, at): MeshPeer => {
        const peer = object(item, at);
        const endpoint = peer.endpoint === null ? null : matching(...field(peer, 'endpoint', at), isHostPort, 'host:port or null');
        return {
          name: string(...field(peer, 'name', at)),
          asn: integer(...field(peer, 'asn', at), asnRange),
          publicKey: matching(...field(peer, 'publicKey', at), isKey, 'a WireGuard public key'),
          endpoint,
          loopbacks: array(...field(peer, 'loopbacks', at), (v, a) => matching(v, a, isAddress, 'an IP address')),
          prefixes: array(...field(peer, 'prefixes', at), (v, a) => matching(v, a, isPrefix, 'a prefix')),
        };
      }),
    };
  },
};

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
        interfaceName: matching(...field(t, 'interfaceName', at), (s) => /^[A-Za-z0-9_.-]{1,15}$/.test(s), 'an interface name'),
        listenPort: integer(...field(t, 'listenPort', at), { min: 1, max: 65535 }),
        peerPublicKey: matching(...field(t, 'peerPublicKey', at), isKey, 'a WireGuard public key'),
        endpoint,
        keepalive: integer(...field(t, 'keepalive', at), { min: 0, max: 65535 }),
        addresses: array(...field(t, 'addresses', at), (v, a) => matching(v, a, isPrefixOrHost, 'an address with prefix length')),
      };
    });
  },
};
