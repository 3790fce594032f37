import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../route-daemon/config/config.js';

// Some defaults follow environment variables, read when the CLI modules load; the README shows the built-in ones.
for (const name of ['GARAGENET_REGISTRY_DIR', 'GARAGENET_STATE_DIR']) delete process.env[name];
const { cliReference, ENVIRONMENT_DEFAULTS, updateReadme } = await import('./reference.js');

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

  it('clears every variable the generator refuses', () => {
    expect([...ENVIRONMENT_DEFAULTS].sort()).toEqual(['GARAGENET_REGISTRY_DIR', 'GARAGENET_STATE_DIR']);
  });

  it('names a missing section', () => {
    expect(() => updateReadme('# no markers\n')).toThrow(/README.md: no generated section "cli"/);
  });
});

describe('README route daemon configuration example', () => {
  it('is a configuration the route daemon accepts, with the values it claims', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('**Route daemon**'), readme.indexOf('Booleans are'));
    const example = section.split('\n').filter((l) => l.startsWith('    ')).map((l) => l.slice(4)).join('\n');
    const config = parseConfig(example, { file: 'README.md' });
    expect(config.router).toMatchObject({ asn: 4200000001, listen: { host: '::', port: 179 }, controlSocket: '/run/garagenet/routed.sock' });
    expect(config.planes.get('production')?.authorizations).toHaveLength(1);
    expect(config.peers.map((p) => [p.name, p.plane, p.holdTimeSeconds, p.restartTimeSeconds, p.gracefulRestart])).toEqual([['garage-b', 'production', 90, 120, true]]);
  });
});
