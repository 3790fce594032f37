import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';

// The registry's default state directory follows this variable; the README shows the built-in default.
delete process.env.GARAGENET_REGISTRY_DIR;
const { cliReference, updateReadme } = await import('./reference.js');

describe('generated reference', () => {
  it('README.md matches the code (regenerate: npm run build && node dist/docs/reference.js --write)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(updateReadme(readme)).toBe(readme);
  });

  it('lists nested commands with their usage, description and options', () => {
    const program = new Command('tool');
    const group = program.command('group').description('a group');
    group.command('leaf <target>').description('does a | thing').option('--json', 'print JSON').option('--count <n>', 'how many', '3');
    const text = cliReference(program);
    expect(text).toContain('| `tool group [options] [command]` | a group | - |');
    expect(text).toContain('| `tool group leaf [options] <target>` | does a \\| thing | `--json` print JSON<br>`--count <n>` how many (default: "3") |');
  });

  it('names a missing section', () => {
    expect(() => updateReadme('# no markers\n')).toThrow(/README.md: no generated section "cli"/);
  });
});
