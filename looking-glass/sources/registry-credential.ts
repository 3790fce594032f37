import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { UserError } from '../../common/errors.js';
import { exposedSecretMode } from '../../common/secret-mode.js';
import { parseCredential } from '../../registry/credentials.js';

const MAKE_ONE = 'make one with `garagenet registry viewer add NAME --out FILE`';
/** A credential is one short line; anything larger is not one. */
const MAX_BYTES = 4096;

/**
 * The looking glass's registry credential, read once at start: a viewer's
 * (the public view and audit logs, nothing else), from a file only its owner
 * may read. Messages name the file, never its content; the credential goes
 * to the registry client alone, never to a log or a response.
 */
export function readViewerCredential(file: string): string {
  let text: string;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UserError(`registry credential ${file} is not a file`, { hint: MAKE_ONE });
    const exposed = exposedSecretMode(stat.mode);
    if (exposed) throw new UserError(`registry credential ${file} may be read by others (mode ${exposed})`, { hint: `chmod 600 ${file}` });
    if (stat.size > MAX_BYTES) throw new UserError(`registry credential ${file} is ${stat.size} bytes, too large to be a credential`, { hint: MAKE_ONE });
    text = readFileSync(fd, 'utf8');
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UserError(`cannot read the registry credential ${file}: ${why}`, code === 'ENOENT' ? { hint: MAKE_ONE } : {});
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const credential = parseCredential(text);
  if (!credential) throw new UserError(`registry credential ${file} holds no credential`, { hint: MAKE_ONE });
  if (credential.kind !== 'viewer') {
    throw new UserError(`registry credential ${file} holds ${credential.kind === 'admin' ? 'the administrator' : 'a node'} credential; the looking glass takes only a viewer credential (read-only)`, { hint: MAKE_ONE });
  }
  return text.trim();
}
