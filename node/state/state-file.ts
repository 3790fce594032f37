import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../common/errors.js';
import { writeFileAtomic } from '../system/atomic-file.js';

/** Where a joined node keeps what it must not forget across restarts. */
export const DEFAULT_STATE_DIR = '/var/lib/garagenet';

/** One JSON file of the state directory: its name, whether it is secret, how to check it, and how to fix it when broken. */
export interface StateFileSpec<T> {
  name: string;
  secret: boolean;
  /** Checks a parsed document; throws a message naming the field (e.g. "peers[2].publicKey: ..."). */
  check(value: unknown): T;
  /** What the operator should do when the file is broken. */
  fix: string;
}

/** A state file that exists but cannot be used: names the file, the problem and the fix, in one line. */
export class BrokenStateError extends UserError {
  readonly path: string;

  constructor(path: string, problem: string, fix: string) {
    super(`${path}: ${problem}`, { hint: fix });
    this.name = 'BrokenStateError';
    this.path = path;
  }
}

/**
 * Reads and checks a state file. Returns null when the file does not exist
 * (a node that has not joined yet); throws BrokenStateError when it exists
 * but is not valid JSON, fails its check, or — for secrets — can be read by
 * others. Nothing is changed on disk either way.
 */
export async function readStateFile<T>(dir: string, spec: StateFileSpec<T>): Promise<T | null> {
  const path = join(dir, spec.name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new BrokenStateError(path, `cannot read: ${(err as Error).message}`, spec.fix);
  }
  if (spec.secret) {
    const mode = (await stat(path)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new BrokenStateError(path, `holds a secret but is readable by others (mode ${mode.toString(8).padStart(4, '0')})`, `chmod 600 ${path}`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BrokenStateError(path, `is not valid JSON (${(err as Error).message})`, spec.fix);
  }
  try {
    return spec.check(value);
  } catch (err) {
    throw new BrokenStateError(path, (err as Error).message, spec.fix);
  }
}

/**
 * Checks `value` and writes it atomically (secrets with mode 0600, in a 0700
 * directory). If anything fails — a bad value, a full disk — the previous
 * file is left exactly as it was.
 */
export async function writeStateFile<T>(dir: string, spec: StateFileSpec<T>, value: T): Promise<void> {
  const path = join(dir, spec.name);
  let text: string;
  try {
    text = `${JSON.stringify(spec.check(value), null, 2)}\n`;
  } catch (err) {
    throw new UserError(`refusing to write ${path}: ${(err as Error).message}`);
  }
  await ensureStateDir(dir);
  try {
    await writeFileAtomic(path, text, { mode: spec.secret ? 0o600 : 0o644 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'ENOSPC' ? `free some space on the disk holding ${dir}; the previous ${spec.name} is unchanged` : `the previous ${spec.name} is unchanged`;
    throw new UserError(`cannot write ${path}: ${(err as Error).message}`, { hint });
  }
}

/** Creates the state directory (mode 0700: it holds the node's private key and credential). */
export async function ensureStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  } catch (err) {
    throw new UserError(`cannot create the state directory ${dir}: ${(err as Error).message}`, {
      hint: 'run as root, or choose another directory with --state-dir',
    });
  }
}
