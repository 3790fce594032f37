import { describe, expect, it } from 'vitest';
import { oneLine } from '../../common/errors.js';
import { CommandError, run } from './run.js';

describe('run', () => {
  it('returns stdout and feeds stdin', async () => {
    expect(await run('cat', [], { input: 'through stdin\n' })).toBe('through stdin\n');
  });

  it('names a missing tool and the package that provides it', async () => {
    const err = await run('wg-definitely-missing', ['show']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(oneLine(err)).toBe('wg-definitely-missing show failed: wg-definitely-missing not found (install it: apt-get install -y wg-definitely-missing)');
  });

  it('reports a failing command with the first line of its stderr', async () => {
    const err = await run('ip', ['link', 'show', 'gn-no-such-if0']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(oneLine(err)).toMatch(/^ip link show gn-no-such-if0 failed: Device "gn-no-such-if0" does not exist\.$/);
  });
});
