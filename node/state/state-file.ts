import { readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../common/errors.js';
import { writeFileAtomic } from '../system/atomic-file.js';
import { exposedSecretMode } from '../../common/secret-mode.js';

/**
 * Reading and writing the files of a state directory (node/state/layout.ts
 * lists them). Every read is checked and names the file, the field and the
 * fix; every write is atomic (temporary file, fsync, rename; 0600 for
 * secrets), so a failed write leaves the previous file byte for byte.
 */

/** One file of the state directory: its name, whether it is secret, how to check it, and how to fix it when broken. */
export interface StateFileSpec<T> {
  name: string;
  secret: boolean;
  /** 'json' (the default) or 'text': a text file's check gets its content without the final newline. */
  format?: 'json' | 'text';
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
 * others. Nothing is changed on disk either way. Synchronous: the files are
 * small and every verb reads them before it does anything else.
 */
export function readStateFile<T>(dir: string, spec: StateFileSpec<T>): T | null {
  const path = join(dir, spec.name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new BrokenStateError(path, `cannot read: ${(err as Error).message}`, 'run as root');
  }
  if (spec.secret) {
    const exposed = exposedSecretMode(statSync(path).mode);
    if (exposed) throw new BrokenStateError(path, `holds a secret but is readable by others (mode ${exposed})`, `chmod 600 ${path}`);
  }
  let value: unknown = text.replace(/\n$/, '');
  if (spec.format !== 'text') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new BrokenStateError(path, `is not valid JSON (${(err as Error).message})`, spec.fix);
    }
  }
  try {
    return spec.check(value);
  } catch (err) {
    throw new BrokenStateError(path, (err as Error).message, spec.fix);
  }
}

/** A write that failed, as the operator needs it: a full disk is said so, with the file and what is unchanged. */
export function writeFailure(path: string, err: unknown): UserError {
  if (err instanceof UserError) return err;
  if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
    return new UserError(`disk full: cannot write ${path}`, { hint: 'free some space on the file system that holds it; nothing was changed' });
  }
  return new UserError(`cannot write ${path}: ${(err as Error).message}`, { hint: 'nothing was changed' });
}

/** A new version of a state file, on disk beside the old one, that replaces it on `commit`. */
export interface StagedFile {
  readonly path: string;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

function serialize<T>(spec: StateFileSpec<T>, value: T): string {
  const checked = spec.check(value);
  return spec.format === 'text' ? `${String(checked)}\n` : `${JSON.stringify(checked, null, 2)}\n`;
}

/**
 * Checks `value` and writes it next to the file it will replace (atomically,
 * flushed, with the final mode), so that several files can be prepared
 * before any of them changes: `commit` is one rename per file.
 */
export async function stageStateFile<T>(dir: string, spec: StateFileSpec<T>, value: T): Promise<StagedFile> {
  const path = join(dir, spec.name);
  let text: string;
  try {
    text = serialize(spec, value);
  } catch (err) {
    throw new UserError(`refusing to write ${path}: ${(err as Error).message}`);
  }
  await ensureStateDir(dir);
  const staged = join(dir, `.${spec.name}.staged`);
  try {
    await writeFileAtomic(staged, text, { mode: spec.secret ? 0o600 : 0o644 });
  } catch (err) {
    await rm(staged, { force: true });
    throw writeFailure(path, err);
  }
  return {
    path,
    commit: async (): Promise<void> => {
      try {
        await rename(staged, path);
      } catch (err) {
        await rm(staged, { force: true });
        throw writeFailure(path, err);
      }
    },
    abort: () => rm(staged, { force: true }),
  };
}

/** Checks `value` and replaces the file atomically; if anything fails the previous file is left exactly as it was. */
export async function writeStateFile<T>(dir: string, spec: StateFileSpec<T>, value: T): Promise<void> {
  await (await stageStateFile(dir, spec, value)).commit();
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
