import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCredential, newSecret } from '../../registry/credentials.js';
import { lookingGlassCommand } from '../cli.js';
import { readViewerCredential } from './registry-credential.js';
import { runCli, type CliResult } from '../../common/test-support/run-cli.js';

// The credential file `looking-glass serve --registry-credential` reads once at start: real files in a temporary directory.

let dir: string;
const viewer = formatCredential({ kind: 'viewer', viewer: 'lg', secret: newSecret() });
const admin = formatCredential({ kind: 'admin', secret: newSecret() });
const node = formatCredential({ kind: 'node', node: 'garage-a', secret: newSecret() });

function file(name: string, content: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lg-credential-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the looking glass registry credential file', () => {
  it('gives the viewer credential of a file only its owner may read', () => {
    expect(readViewerCredential(file('ok', `${viewer}\n`))).toBe(viewer);
    expect(readViewerCredential(file('owner-read-only', viewer, 0o400))).toBe(viewer);
  });

  it('refuses a missing file, a directory, and a file others may read, naming the file and the fix', () => {
    const missing = join(dir, 'missing');
    expect(() => readViewerCredential(missing)).toThrow(`cannot read the registry credential ${missing}: no such file`);
    mkdirSync(join(dir, 'a-dir'), { mode: 0o700 });
    expect(() => readViewerCredential(join(dir, 'a-dir'))).toThrow(`registry credential ${join(dir, 'a-dir')} is not a file`);
    const open = file('open', viewer, 0o644);
    expect(() => readViewerCredential(open)).toThrow(`registry credential ${open} may be read by others (mode 0644)`);
    const group = file('group', viewer, 0o640);
    expect(() => readViewerCredential(group)).toThrow(/\(mode 0640\)/);
  });

  it('takes only a viewer credential, and never repeats what the file holds', () => {
    const cases: [string, RegExp][] = [
      [admin, /holds the administrator credential; the looking glass takes only a viewer credential/],
      [node, /holds a node credential; the looking glass takes only a viewer credential/],
      ['', /holds no credential/],
      ['gnviewer.lg.', /holds no credential/],
      ['x'.repeat(5000), /is 5000 bytes, too large to be a credential/],
    ];
    for (const [content, message] of cases) {
      const path = file('wrong', content);
      let error: unknown;
      try {
        readViewerCredential(path);
      } catch (err) {
        error = err;
      }
      expect(error, content).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(message);
      if (content === admin || content === node) expect((error as Error).message).not.toContain(content.split('.').at(-1));
    }
  });
});

describe('looking-glass serve with a bad credential file', () => {
  /** Runs `looking-glass serve` in-process up to the point it would listen; returns what it printed and its exit code. */
  function serve(...args: string[]): Promise<CliResult> {
    return runCli(new Command('garagenet').exitOverride().addCommand(lookingGlassCommand()), ['looking-glass', 'serve', '--listen', '127.0.0.1:1', ...args]);
  }

  it('prints one clear line and exits 1, before listening', async () => {
    const registry = ['--registry', '127.0.0.1:7443', '--registry-cert', file('tls.crt', 'not used before the credential is read\n', 0o644)];
    expect(await serve(...registry)).toEqual({
      out: '', code: 1, err: 'garagenet: the looking glass needs --registry, --registry-cert and --registry-credential (or try the page with --sample)\n',
    });
    const open = file('open.credential', admin, 0o644);
    expect(await serve(...registry, '--registry-credential', open)).toEqual({
      out: '', code: 1, err: `garagenet: registry credential ${open} may be read by others (mode 0644) (chmod 600 ${open})\n`,
    });
    const missing = join(dir, 'nope.credential');
    expect(await serve(...registry, '--registry-credential', missing)).toEqual({
      out: '', code: 1,
      err: `garagenet: cannot read the registry credential ${missing}: no such file (make one with \`garagenet registry viewer add NAME --out FILE\`)\n`,
    });
    const wrong = await serve(...registry, '--registry-credential', file('admin.credential', admin));
    expect([wrong.code, wrong.err.split('\n').length]).toEqual([1, 2]);
    expect(wrong.err).toMatch(/^garagenet: registry credential \S+admin\.credential holds the administrator credential/);
    expect(wrong.err).not.toContain(admin.split('.')[1]);
  });
});
