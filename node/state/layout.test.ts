import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { oneLine } from '../../common/errors.js';
import { credentialFile, identityFile, loadCredential, loadIdentity, loadMeshCache, saveMeshCache, statePaths, type Identity, type StatePaths } from './layout.js';
import { writeStateFile } from './state-file.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';

function node(name: string, slot: number): Identity['node'] {
  return {
    name, organization: 'o', publicKey: KEY, previousPublicKey: '', endpoints: ['198.18.0.2:51820'], asn: 4200000000 + slot,
    productionLoopbackV4: `10.64.0.${slot}`, productionLoopbackV6: `fd64::${slot}`, experimentalLoopbackV4: `10.96.0.${slot}`, experimentalLoopbackV6: `fd96::${slot}`,
    slot, joinedAt: '', updatedAt: '',
  };
}

function identity(): Identity {
  return {
    version: 1,
    mesh: { name: 'm', productionV4: '10.64.0.0/11', productionV6: 'fd64::/48', experimentalV4: '10.96.0.0/11', experimentalV6: 'fd96::/48', asnFirst: 1, asnLast: 2, createdAt: '' },
    registry: { address: '192.0.2.1:7443', certPem: CERT },
    node: node('a', 1),
    allocations: [{ id: 'a-garage-v4', prefix: '10.80.1.0/24', plane: 'production', holderKind: 'node', holder: 'a', purpose: 'garage', createdAt: '' }],
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

describe('the state directory layout', () => {
  let paths: StatePaths;
  beforeEach(() => {
    paths = statePaths(mkdtempSync(join(tmpdir(), 'gn-layout-')));
  });
  afterEach(() => rmSync(paths.dir, { recursive: true, force: true }));

  it('round-trips identity, mesh and credential; only the credential is secret', async () => {
    const cache = { revision: 7, peers: [node('b', 2)], authorizations: [] };
    await writeStateFile(paths.dir, identityFile, identity());
    await saveMeshCache(paths, cache);
    await writeStateFile(paths.dir, credentialFile, 'node.a.secret');
    expect(loadIdentity(paths)).toEqual(identity());
    expect(loadMeshCache(paths)).toEqual(cache);
    expect(loadCredential(paths)).toBe('node.a.secret');
    expect(statSync(paths.credential).mode & 0o777).toBe(0o600);
    expect(statSync(paths.identity).mode & 0o777).toBe(0o644);
  });

  it('names the file and the fix for a node that never joined', () => {
    expect(message(() => loadIdentity(paths))).toBe(`${paths.identity} is missing (this node has not joined a mesh: run \`garagenet join JOIN_STRING\`)`);
    expect(message(() => loadCredential(paths))).toMatch(new RegExp(`^${paths.credential} is missing \\(restore the file from a backup`));
  });

  it('names the file for damaged JSON, and the file and field (by its path) for a bad field', () => {
    writeFileSync(paths.identity, '{"version": 1, "mesh": ');
    expect(message(() => loadIdentity(paths))).toMatch(new RegExp(`^${paths.identity}: is not valid JSON .*garagenet leave --local`));
    writeFileSync(paths.identity, JSON.stringify({ ...identity(), basePort: 70000 }));
    expect(message(() => loadIdentity(paths))).toMatch(new RegExp(`^${paths.identity}: basePort: expected an integer in 1\\.\\.65535 \\(restore the file`));
    writeFileSync(paths.identity, JSON.stringify({ ...identity(), node: { ...identity().node, asn: 'x' } }));
    expect(message(() => loadIdentity(paths))).toMatch(/node\.json: node\.asn: expected an integer/);
    writeFileSync(paths.identity, JSON.stringify({ ...identity(), allocations: [{ ...identity().allocations[0], prefix: '10.80.1.7/24' }] }));
    expect(message(() => loadIdentity(paths))).toMatch(/node\.json: allocations\[0\]\.prefix: not a prefix: "10\.80\.1\.7\/24"/);
    writeFileSync(paths.identity, JSON.stringify({ ...identity(), registry: { address: '192.0.2.1:7443' } }));
    expect(message(() => loadIdentity(paths))).toMatch(/node\.json: registry\.certPem: expected a non-empty string/);
    writeFileSync(paths.identity, JSON.stringify({ ...identity(), version: 2 }));
    expect(message(() => loadIdentity(paths))).toMatch(/node\.json: version 2 was written by a newer garagenet/);
  });

  it('an absent mesh cache is an empty mesh; a damaged one names the peer field and says to delete it', () => {
    expect(loadMeshCache(paths)).toEqual({ revision: 0, peers: [], authorizations: [] });
    writeFileSync(paths.mesh, JSON.stringify({ revision: 3, peers: [node('b', 2), { ...node('c', 3), publicKey: 'nope' }], authorizations: [] }));
    expect(message(() => loadMeshCache(paths))).toMatch(/peers\.json: peers\[1\]\.publicKey: not a WireGuard public key: "nope" \(delete it/);
  });

  it('a credential spread over several lines is refused, and the file is left as it was', () => {
    writeFileSync(paths.credential, 'one\ntwo\n', { mode: 0o600 });
    expect(message(() => loadCredential(paths))).toMatch(new RegExp(`^${paths.credential}: expected one token on one line \\(restore`));
    expect(readFileSync(paths.credential, 'utf8')).toBe('one\ntwo\n');
  });
});
