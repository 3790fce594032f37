import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { oneLine } from '../../common/errors.js';
import { credentialFile, meshFile, tunnelsFile, type MeshCache } from './layout.js';
import { BrokenStateError, readStateFile, stageStateFile, writeFailure, writeStateFile } from './state-file.js';

const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const mesh: MeshCache = {
  revision: 42,
  peers: [],
  authorizations: [{ id: 'a1', prefix: '10.64.1.0/24', maxLength: 24, originAsn: 4200000001, plane: 'production', holder: 'g1', createdAt: '' }],
};

function caught(run: () => unknown): Error {
  try {
    run();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

async function rejected(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('state files: checked reads, atomic writes', () => {
  let dir: string;

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'gn-state-test-')), 'state');
  });

  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('round-trips JSON and text files, creating the directory 0700', async () => {
    await writeStateFile(dir, meshFile, mesh);
    await writeStateFile(dir, credentialFile, 'node.g1.c2VrcmV0');
    expect(readStateFile(dir, meshFile)).toEqual(mesh);
    expect(readStateFile(dir, credentialFile)).toBe('node.g1.c2VrcmV0');
    expect(await readFile(join(dir, 'credential'), 'utf8')).toBe('node.g1.c2VrcmV0\n');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('writes secrets with mode 0600 and the rest 0644, leaving no temporary files', async () => {
    await writeStateFile(dir, credentialFile, 'node.g1.c2VrcmV0');
    await writeStateFile(dir, meshFile, mesh);
    expect((await stat(join(dir, 'credential'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'peers.json'))).mode & 0o777).toBe(0o644);
    expect((await readdir(dir)).sort()).toEqual(['credential', 'peers.json']);
  });

  it('returns null for a file that does not exist', () => {
    expect(readStateFile(dir, meshFile)).toBeNull();
  });

  it('round-trips the applied tunnel list and names a bad field in it', async () => {
    const tunnels = [
      { peer: 'garage-1', interfaceName: 'gn-g1', listenPort: 51001, peerPublicKey: KEY, endpoint: '198.18.1.2:51000', keepalive: 0, addresses: ['10.255.1.0/31', 'fd99::1/64'] },
      { peer: 'garage-2', interfaceName: 'gn-g2', listenPort: 51002, peerPublicKey: KEY, endpoint: null, keepalive: 25, addresses: [] },
    ];
    await writeStateFile(dir, tunnelsFile, tunnels);
    expect(readStateFile(dir, tunnelsFile)).toEqual(tunnels);
    await writeFile(join(dir, 'tunnels.json'), JSON.stringify([tunnels[0], { ...tunnels[1], interfaceName: 'much-too-long-name' }]));
    expect(oneLine(caught(() => readStateFile(dir, tunnelsFile)))).toMatch(/tunnels\.json: tunnels\[1\]\.interfaceName: not an interface name/);
  });

  it('reports a broken file in one line naming the file, the problem and the fix', async () => {
    await writeStateFile(dir, meshFile, mesh);
    await writeFile(join(dir, 'peers.json'), '{"revision": 4');
    const err = caught(() => readStateFile(dir, meshFile));
    expect(err).toBeInstanceOf(BrokenStateError);
    expect(oneLine(err)).toMatch(new RegExp(`^${join(dir, 'peers.json')}: is not valid JSON \\(.*\\) \\(delete it: the agent fetches the mesh again from the registry\\)$`));
  });

  it('refuses a secret file that others can read, with the chmod that fixes it', async () => {
    await writeStateFile(dir, credentialFile, 'node.g1.c2VrcmV0');
    await chmod(join(dir, 'credential'), 0o644);
    expect(oneLine(caught(() => readStateFile(dir, credentialFile)))).toMatch(/credential: holds a secret but is readable by others \(mode 0644\) \(chmod 600 /);
  });

  it('leaves the previous file intact when a new value is refused', async () => {
    await writeStateFile(dir, meshFile, mesh);
    const before = await readFile(join(dir, 'peers.json'), 'utf8');
    expect(oneLine(await rejected(writeStateFile(dir, meshFile, { ...mesh, revision: -1 })))).toMatch(/refusing to write .*peers\.json: revision: expected an integer/);
    expect(await readFile(join(dir, 'peers.json'), 'utf8')).toBe(before);
    expect(await readdir(dir)).toEqual(['peers.json']);
  });

  it('leaves nothing half-written when the final rename fails', async () => {
    await writeStateFile(dir, credentialFile, 'node.g1.c2VrcmV0');
    // A directory where peers.json should go makes the rename fail after the data was written.
    await mkdir(join(dir, 'peers.json', 'keep'), { recursive: true });
    expect(oneLine(await rejected(writeStateFile(dir, meshFile, mesh)))).toMatch(/^cannot write .*peers\.json: .*\(nothing was changed\)$/);
    expect((await readdir(dir)).sort()).toEqual(['credential', 'peers.json']);
    expect(await readdir(join(dir, 'peers.json'))).toEqual(['keep']);
  });

  it('a staged file changes nothing until committed, and nothing at all when aborted', async () => {
    await writeStateFile(dir, meshFile, mesh);
    const before = await readFile(join(dir, 'peers.json'), 'utf8');
    const aborted = await stageStateFile(dir, meshFile, { ...mesh, revision: 43 });
    expect(await readFile(join(dir, 'peers.json'), 'utf8')).toBe(before);
    await aborted.abort();
    expect(await readdir(dir)).toEqual(['peers.json']);
    const staged = await stageStateFile(dir, meshFile, { ...mesh, revision: 44 });
    await staged.commit();
    expect(readStateFile(dir, meshFile)?.revision).toBe(44);
    expect(await readdir(dir)).toEqual(['peers.json']);
  });

  it('says "disk full" with the path for ENOSPC', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    expect(oneLine(writeFailure('/var/lib/garagenet/node.json', enospc))).toBe(
      'disk full: cannot write /var/lib/garagenet/node.json (free some space on the file system that holds it; nothing was changed)',
    );
  });

  it('says where the state directory could not be created', async () => {
    const blocked = join(dir, '..', 'a-file');
    await writeFile(blocked, 'x');
    expect(oneLine(await rejected(writeStateFile(join(blocked, 'state'), meshFile, mesh)))).toMatch(/cannot create the state directory .*a-file\/state/);
  });
});
