/**
 * The README's generated reference sections, made from the code itself: the
 * CLI from the real commander program (the same text as `--help`), the
 * metrics from docs/metrics.ts. Each section sits between two HTML comments
 * in README.md; a unit test fails when a section no longer matches the code.
 *
 *   node dist/docs/reference.js --write     rewrite the sections in README.md
 *   node dist/docs/reference.js --check     exit 1 if README.md is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from '../node/cli/main.js';
import { formatCatalog, metricCatalog } from './metrics.js';

/** Variables that change the defaults `--help` shows; the README shows the built-in ones. */
export const ENVIRONMENT_DEFAULTS: readonly string[] = ['GARAGENET_REGISTRY_DIR', 'GARAGENET_STATE_DIR'];

/** Markdown-safe table cell. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

function usageOf(command: Command, parents: readonly string[]): string {
  return [...parents, command.name(), command.usage()].filter(Boolean).join(' ');
}

/** Options of one command (help excluded), as `--flag <arg>` — description (default). */
function optionLines(command: Command): string[] {
  const help = command.createHelp();
  return help
    .visibleOptions(command)
    .filter((o) => o.long !== '--help')
    .map((o) => `\`${help.optionTerm(o)}\` ${cell(help.optionDescription(o))}`);
}

/**
 * Every command as a table row: its usage, what it does, and its own options.
 * Groups recurse; `help` subcommands (commander's own) are left out.
 */
export function cliReference(program: Command): string {
  const rows: string[] = [];
  const walk = (command: Command, parents: readonly string[]): void => {
    for (const sub of command.commands) {
      const usage = usageOf(sub, parents);
      const aliases = sub.aliases().length > 0 ? ` (alias: ${sub.aliases().join(', ')})` : '';
      const options = optionLines(sub);
      rows.push(`| \`${cell(usage)}\`${aliases} | ${cell(sub.description())} | ${options.join('<br>') || '-'} |`);
      walk(sub, [...parents, sub.name()]);
    }
  };
  walk(program, [program.name()]);
  return ['| command | what it does | options |', '|---|---|---|', ...rows].join('\n');
}

const SECTIONS: Record<string, () => string> = {
  cli: () => cliReference(buildProgram()),
  metrics: () => formatCatalog(metricCatalog()),
};

/** README text with every generated section replaced by what the code says now. */
export function updateReadme(readme: string): string {
  let text = readme;
  for (const [name, make] of Object.entries(SECTIONS)) {
    const begin = `<!-- generated: ${name} (node dist/docs/reference.js --write) -->`;
    const end = `<!-- end generated: ${name} -->`;
    const from = text.indexOf(begin);
    const to = text.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md: no generated section "${name}" (between "${begin}" and "${end}")`);
    text = `${text.slice(0, from + begin.length)}\n${make()}\n${text.slice(to)}`;
  }
  return text;
}

function main(): void {
  const mode = process.argv[2];
  if (mode !== '--write' && mode !== '--check') throw new Error('usage: node dist/docs/reference.js --write|--check');
  const set = ENVIRONMENT_DEFAULTS.filter((name) => process.env[name] !== undefined);
  if (set.length > 0) throw new Error(`unset ${set.join(', ')} first: they change the defaults the reference shows`);
  const path = fileURLToPath(new URL('../../README.md', import.meta.url));
  const readme = readFileSync(path, 'utf8');
  const fresh = updateReadme(readme);
  if (mode === '--write') {
    writeFileSync(path, fresh);
    process.stdout.write(`${path}: ${fresh === readme ? 'already up to date' : 'reference sections rewritten'}\n`);
  } else if (fresh !== readme) {
    throw new Error(`${path} is out of date with the code; run node dist/docs/reference.js --write`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`reference: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
