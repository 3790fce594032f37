import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { oneLine } from '../../common/errors.js';
import { credentialFile, identityFile, meshFile, tunnelsFile, type Identity, type MeshState } from './records.js';
import { BrokenStateError, readStateFile, writeStateFile } from './state-file.js';

const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const identity: Identity = {
  version: 1,
  name: 'garage-3',
  asn: 4200000003,
  registry: { address: 'registry.example.net:7443', pin: 'ab'.repeat(32) },
  publicKey: KEY,
};
const mesh: MeshState = {
  version: 1,
  revision: 42,
  peers: [
    { name: 'garage-1', asn: 4200000001, publicKey: KEY, endpoint: '198.18.0.2:51820', loopbacks: ['10.0.0.1', 'fd00::1'], prefixes: ['172.16.0.0/24'] },
    { name: 'garage-2', asn: 4200000002, publicKey: KEY, endpoint: null, loopbacks: [], prefixes: [] },
  ],
};

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('state directory files', () => {
  let dir: string;

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'gn-state-test-')), 'state');
  });

  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('round-trips identity, credential and mesh state, creating the directory 0700', async () => {
    await writeStateFile(dir, identityFile, identity);
    await writeStateFile(dir, credentialFile, { version: 1, nodeId: 'n-3', token: 'sekrit' });
    await writeStateFile(dir, meshFile, mesh);
    expect(await readStateFile(dir, identityFile)).toEqual(identity);
    expect(await readStateFile(dir, credentialFile)).toEqual({ version: 1, nodeId: 'n-3', token: 'sekrit' });
    expect(await readStateFile(dir, meshFile)).toEqual(mesh);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('writes secrets with mode 0600 and the rest 0644, leaving no temporary files', async () => {
    await writeStateFile(dir, credentialFile, { version: 1, nodeId: 'n-3', token: 'sekrit' });
    await writeStateFile(dir, identityFile, identity);
    expect((await stat(join(dir, 'credential.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'identity.json'))).mode & 0o777).toBe(0o644);
    expect((await readdir(dir)).sort()).toEqual(['credential.json', 'identity.json']);
  });

  it('round-trips the applied tunnel list and names a bad field in it', async () => {
    const tunnels = [
      { peer: 'garage-1', interfaceName: 'gn-g1', listenPort: 51001, peerPublicKey: KEY, endpoint: '198.18.1.2:51000', keepalive: 0, addresses: ['10.255.1.0/31', 'fd99::1/64'] },
      { peer: 'garage-2', interfaceName: 'gn-g2', listenPort: 51002, peerPublicKey: KEY, endpoint: null, keepalive: 25, addresses: [] },
    ];
    await writeStateFile(dir, tunnelsFile, tunnels);
    expect(await readStateFile(dir, tunnelsFile)).toEqual(tunnels);
    await writeFile(join(dir, 'tunnels.json'), JSON.stringify([tunnels[0], { ...tunnels[1], interfaceName: 'much-too-long-name' }]));
    expect(oneLine(await caught(readStateFile(dir, tunnelsFile)))).toMatch(/tunnels\.json: tunnels\[1\]\.interfaceName: not an interface name/);
  });

  it('returns null for a node that has not joined (no file)', async () => {
    expect(await readStateFile(dir, identityFile)).toBeNull();
  });

  it('reports a broken file in one line naming the file, the problem and the fix', async () => {
    await writeStateFile(dir, meshFile, mesh);
    await writeFile(join(dir, 'mesh.json'), '{"version": 1, "revision": 4');
    const err = await caught(readStateFile(dir, meshFile));
    expect(err).toBeInstanceOf(BrokenStateError);
    const line = oneLine(err);
    expect(line).toContain(join(dir, 'mesh.json'));
    expect(line).toContain('is not valid JSON');
    expect(line).toContain('delete it');
    expect(line).not.toContain('\n');
  });

  it('names the offending field of a well-formed but wrong document', async () => {
    const bad = { ...mesh, peers: [mesh.peers[0], { ...mesh.peers[1], publicKey: 'nope' }] };
    await writeStateFile(dir, meshFile, mesh);
    await writeFile(join(dir, 'mesh.json'), JSON.stringify(bad));
    expect(oneLine(await caught(readStateFile(dir, meshFile)))).toMatch(/mesh\.json: peers\[1\]\.publicKey: not a WireGuard public key/);
    await writeFile(join(dir, 'identity.json'), JSON.stringify({ ...identity, registry: { ...identity.registry, pin: 'xyz' } }));
    expect(oneLine(await caught(readStateFile(dir, identityFile)))).toMatch(/identity\.json: registry\.pin: not a SHA-256 pin.*garagenet leave, then garagenet join/);
    await writeFile(join(dir, 'identity.json'), JSON.stringify({ ...identity, version: 2 }));
    expect(oneLine(await caught(readStateFile(dir, identityFile)))).toMatch(/version 2 was written by a newer garagenet/);
  });

  it('refuses a secret file that others can read, with the chmod that fixes it', async () => {
    await writeStateFile(dir, credentialFile, { version: 1, nodeId: 'n-3', token: 'sekrit' });
    await chmod(join(dir, 'credential.json'), 0o644);
    expect(oneLine(await caught(readStateFile(dir, credentialFile)))).toMatch(/credential\.json: holds a secret but is readable by others \(mode 0644\) \(chmod 600 /);
  });

  it('leaves the previous file intact when a new value is refused', async () => {
    await writeStateFile(dir, meshFile, mesh);
    const before = await readFile(join(dir, 'mesh.json'), 'utf8');
    const bad = { ...mesh, revision: -1 };
    expect(oneLine(await caught(writeStateFile(dir, meshFile, bad)))).toMatch(/refusing to write .*mesh\.json: revision: expected an integer/);
    expect(await readFile(join(dir, 'mesh.json'), 'utf8')).toBe(before);
    expect(await readdir(dir)).toEqual(['mesh.json']);
  });

  it('leaves nothing half-written when the write itself fails', async () => {
    await writeStateFile(dir, identityFile, identity);
    // A directory where mesh.json should go makes the final rename fail after the data was written.
    await mkdir(join(dir, 'mesh.json', 'keep'), { recursive: true });
    expect(oneLine(await caught(writeStateFile(dir, meshFile, mesh)))).toMatch(/cannot write .*mesh\.json: .*\(the previous mesh\.json is unchanged\)/);
    expect((await readdir(dir)).sort()).toEqual(['identity.json', 'mesh.json']);
    expect(await readdir(join(dir, 'mesh.json'))).toEqual(['keep']);
  });

  it('says where the state directory could not be created', async () => {
    const blocked = join(dir, '..', 'a-file');
    await writeFile(blocked, 'x');
    expect(oneLine(await caught(writeStateFile(join(blocked, 'state'), identityFile, identity)))).toMatch(/cannot create the state directory .*a-file\/state/);
  });
});
