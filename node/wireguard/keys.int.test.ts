import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../system/run.js';
import { generateKeyFile, isWireguardKey, publicKeyOfFile } from './keys.js';

describe('WireGuard key files (wg genkey / wg pubkey)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gn-keys-test-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a fresh private key with mode 0600 and returns the matching public key', async () => {
    const file = join(dir, 'wireguard.key');
    const { publicKey } = await generateKeyFile(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const privateKey = (await readFile(file, 'utf8')).trim();
    expect(isWireguardKey(privateKey)).toBe(true);
    expect(publicKey).not.toBe(privateKey);
    expect(publicKey).toBe((await run('wg', ['pubkey'], { input: `${privateKey}\n` })).trim());
    expect(await publicKeyOfFile(file)).toBe(publicKey);
  });

  it('gives a new key each time', async () => {
    const a = await generateKeyFile(join(dir, 'a.key'));
    const b = await generateKeyFile(join(dir, 'b.key'));
    expect(a.publicKey).not.toBe(b.publicKey);
  });

  it('names a key file that holds no key, and one that is missing', async () => {
    const broken = join(dir, 'broken.key');
    await writeFile(broken, 'not a key\n', { mode: 0o600 });
    await expect(publicKeyOfFile(broken)).rejects.toThrow(`${broken} does not hold a WireGuard private key`);
    await expect(publicKeyOfFile(join(dir, 'missing.key'))).rejects.toThrow(/cannot read WireGuard private key .*missing\.key/);
  });
});
