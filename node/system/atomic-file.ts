import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/**
 * Writes a file atomically: a temporary file in the same directory with the
 * final mode from the start (so a secret is never readable by others, not
 * even for an instant), flushed, then renamed over the target. A crash at
 * any point leaves either the old file or the new one, never half of one.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, options: { mode?: number } = {}): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.chmod(options.mode ?? 0o644);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Writes a secret (a private key, a credential) atomically with mode 0600. */
export function writeSecretFile(path: string, data: string | Buffer): Promise<void> {
  return writeFileAtomic(path, data, { mode: 0o600 });
}
