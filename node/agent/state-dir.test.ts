import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { oneLine } from '../../common/errors.js';
import { loadIdentity, loadMeshCache, saveCredential, saveIdentity, statePaths, type Identity, type StatePaths } from './state-dir.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function identity(): Identity {
  return {
    version: 1,
    mesh: { name: 'm', productionV4: '10.64.0.0/11', productionV6: 'fd64::/48', experimentalV4: '10.96.0.0/11', experimentalV6: 'fd96::/48', asnFirst: 1, asnLast: 2, createdAt: '' },
    registry: { address: '192.0.2.1:7443', certPem: CERT },
    node: {
      name: 'a', organization: 'o', publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=', previousPublicKey: '', endpoints: [], asn: 4200000001,
      productionLoopbackV4: '10.64.0.1', productionLoopbackV6: 'fd64::1', experimentalLoopbackV4: '10.96.0.1', experimentalLoopbackV6: 'fd96::1',
      slot: 1, joinedAt: '', updatedAt: '',
    },
    allocations: [],
    interfaceTag: 'ab12',
    basePort: 51820,
  };
}

function message(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    return oneLine(err);
  }
  throw new Error('expected an error');
}

describe('state directory', () => {
  let paths: StatePaths;
  beforeEach(() => {
    paths = statePaths(mkdtempSync(join(tmpdir(), 'gn-agent-state-')));
  });
  afterEach(() => rmSync(paths.dir, { recursive: true, force: true }));

  it('round-trips the identity and keeps secrets 0600', async () => {
    await saveIdentity(paths, identity());
    await saveCredential(paths, 'node.a.secret');
    expect(loadIdentity(paths)).toEqual(identity());
    expect(statSync(paths.credential).mode & 0o777).toBe(0o600);
  });

  it('names the file and the fix for a node that never joined', () => {
    expect(message(() => loadIdentity(paths))).toBe(`${paths.identity} is missing (this node has not joined a mesh: run \`garagenet join JOIN_STRING\`)`);
  });

  it('names the file for damaged JSON, and the file and field for a bad field', () => {
    writeFileSync(paths.identity, '{"version": 1, "mesh": ');
    expect(message(() => loadIdentity(paths))).toMatch(new RegExp(`^${paths.identity} is damaged: .*garagenet leave --local`));
    writeFileSync(paths.identity, JSON.stringify({ ...identity(), basePort: 70000 }));
    expect(message(() => loadIdentity(paths))).toMatch(new RegExp(`^${paths.identity}: field "basePort" is missing or not a UDP port`));
    writeFileSync(paths.identity, JSON.stringify({ ...identity(), node: { ...identity().node, asn: 'x' } }));
    expect(message(() => loadIdentity(paths))).toMatch(/field "asn" is missing or not an AS number/);
  });

  it('an absent mesh cache is an empty mesh; a damaged one names the peer entry', () => {
    expect(loadMeshCache(paths)).toEqual({ revision: 0, peers: [], authorizations: [] });
    writeFileSync(paths.mesh, JSON.stringify({ revision: 3, peers: [{ name: 'b' }], authorizations: [] }));
    expect(message(() => loadMeshCache(paths))).toMatch(/peers\[0\] is not a node record \(delete peers.json/);
  });
});
