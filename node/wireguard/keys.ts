import { readFile } from 'node:fs/promises';
import { UserError } from '../../common/errors.js';
import { writeSecretFile } from '../system/atomic-file.js';
import { run } from '../system/run.js';

/** A WireGuard key is 32 bytes in standard base64 (44 characters ending in '='). */
export function isWireguardKey(text: string): boolean {
  return /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(text);
}

/** Checks a public key from the registry or the command line, naming where it came from. */
export function checkPublicKey(key: string, where: string): string {
  if (!isWireguardKey(key)) {
    throw new UserError(`${where}: not a WireGuard public key: ${JSON.stringify(key.slice(0, 60))}`, {
      hint: 'a key is 44 characters of base64, as printed by `wg pubkey`',
    });
  }
  return key;
}

/**
 * Creates a new private key with `wg genkey` straight into `privateKeyFile`
 * (mode 0600, written atomically) and returns only the public key: the
 * private key never leaves that file except on its way into `wg`.
 */
export async function generateKeyFile(privateKeyFile: string): Promise<{ publicKey: string }> {
  const privateKey = (await run('wg', ['genkey'])).trim();
  await writeSecretFile(privateKeyFile, `${privateKey}\n`);
  return { publicKey: await publicKeyOf(privateKey) };
}

/** The public key of the private key stored in `privateKeyFile`. */
export async function publicKeyOfFile(privateKeyFile: string): Promise<string> {
  let text: string;
  try {
    text = (await readFile(privateKeyFile, 'utf8')).trim();
  } catch (err) {
    throw new UserError(`cannot read WireGuard private key ${privateKeyFile}: ${(err as Error).message}`, { cause: err });
  }
  if (!isWireguardKey(text)) {
    throw new UserError(`${privateKeyFile} does not hold a WireGuard private key`, {
      hint: 'restore it from a backup, or run `garagenet rotate-key` to make a new one',
    });
  }
  return publicKeyOf(text);
}

async function publicKeyOf(privateKey: string): Promise<string> {
  return (await run('wg', ['pubkey'], { input: `${privateKey}\n` })).trim();
}
