/**
 * Every benchmark in bench/, one after the other, and one table at the end:
 * each figure, our value, the peer it is compared with, the peer's value
 * measured in the same run (or the ANCHORS.md reference where the peer's name
 * says so) and the ratio ours / peer.
 *
 *   npm run build && npm run bench [-- --full] [-- --only fib,registry] [-- --json]
 *
 * Quick mode (default) runs modest sizes so that the whole set takes minutes;
 * --full runs the sizes of the issues (1,000,000 routes, 1,000 watchers...).
 * Each benchmark's own table goes to stderr as it runs; the combined table
 * (or, with --json, the figures as JSON) goes to stdout. Benchmarks that need
 * root are skipped, with a note, when not run as root.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../common/cli.js';
import { parseFigures, ratio, type Figure } from './figures.js';

interface Bench {
  readonly name: string;
  /** Entry point under dist/bench/. */
  readonly script: string;
  /** Arguments in quick mode; null: only with --full. */
  readonly quick: readonly string[] | null;
  readonly full: readonly string[];
  readonly needsRoot: boolean;
  /** Upper bound for one run of it, in minutes (quick / full). */
  readonly minutes: readonly [number, number];
}

const BENCHES: readonly Bench[] = [
  { name: 'registry', script: 'registry/registry.bench.js', quick: ['200', '200', '50'], full: ['1000', '1000', '200'], needsRoot: false, minutes: [5, 15] },
  { name: 'registry-audit-log', script: 'registry/audit-log.bench.js', quick: ['1000'], full: ['1000', '10000', '30000'], needsRoot: false, minutes: [2, 5] },
  { name: 'bgp-rib-ingest', script: 'bgp/rib-ingest.js', quick: ['1'], full: ['3'], needsRoot: false, minutes: [10, 30] },
  { name: 'bgp-list-routes', script: 'bgp/list-routes.js', quick: ['--prefixes', '100000', '--runs', '3'], full: ['--prefixes', '1000000', '--runs', '3'], needsRoot: false, minutes: [3, 10] },
  // Peers only until garagenet's daemon is a receiver there; a 1,000,000-route feed, so --full only.
  { name: 'bgp', script: 'bgp/run.js', quick: null, full: ['--runs', '3'], needsRoot: true, minutes: [0, 90] },
  { name: 'fib', script: 'fib/fib.js', quick: ['--sizes', '100000'], full: ['--sizes', '100000,1000000', '--runs', '3'], needsRoot: true, minutes: [5, 30] },
  { name: 'looking-glass', script: 'looking-glass/run.js', quick: ['--routes', '100000', '--seconds', '3'], full: [], needsRoot: false, minutes: [5, 15] },
  { name: 'wireguard-throughput', script: 'wireguard-throughput/run.js', quick: ['--seconds', '3'], full: ['--seconds', '10'], needsRoot: true, minutes: [3, 5] },
  { name: 'failover', script: 'failover/run.js', quick: ['--cuts', '2'], full: ['--cuts', '5'], needsRoot: true, minutes: [6, 15] },
  { name: 'key-rotation', script: 'key-rotation/run.js', quick: ['--rotations', '5'], full: ['--rotations', '20'], needsRoot: true, minutes: [3, 7] },
  { name: 'join', script: 'join/run.js', quick: ['--garages', '3'], full: ['--garages', '5'], needsRoot: true, minutes: [5, 10] },
  { name: 'agent-failover', script: 'agent-failover/run.js', quick: ['--cuts', '2'], full: ['--cuts', '5'], needsRoot: true, minutes: [6, 15] },
  // A flood ten times the experimental policer (10 Mbit/s), then one as fast as the sender can (its CPU shared with the nodes here).
  { name: 'experiment-flood', script: 'experiment-flood/run.js', quick: ['--seconds', '5', '--rounds', '2', '--flood-mbits', '100'], full: ['--seconds', '10', '--rounds', '5', '--flood-mbits', '100'], needsRoot: true, minutes: [5, 10] },
  { name: 'experiment-flood-max', script: 'experiment-flood/run.js', quick: ['--seconds', '5', '--rounds', '2'], full: ['--seconds', '10', '--rounds', '5'], needsRoot: true, minutes: [5, 10] },
  // The same unlimited flood with garage 0's line shaped to 200 Mbit/s: production bound by its line, not by this machine's CPU.
  { name: 'experiment-flood-line', script: 'experiment-flood/run.js', quick: ['--seconds', '5', '--rounds', '2', '--line-mbits', '200'], full: ['--seconds', '10', '--rounds', '5', '--line-mbits', '200'], needsRoot: true, minutes: [5, 10] },
];

interface Outcome {
  readonly bench: string;
  readonly figures: Figure[];
  /** Why there are no figures: skipped or failed, in one line. */
  readonly note?: string;
  readonly failed: boolean;
}

interface Options {
  readonly full: boolean;
  readonly json: boolean;
  readonly only: ReadonlySet<string> | null;
}

function parseOptions(argv: readonly string[]): Options {
  const known = new Set(['--full', '--json', '--only']);
  for (const [i, arg] of argv.entries()) {
    if (arg.startsWith('--') && !known.has(arg)) throw new Error(`unknown option ${arg} (known: --full, --json, --only NAME,NAME)`);
    if (!arg.startsWith('--') && argv[i - 1] !== '--only') throw new Error(`unexpected argument "${arg}"`);
  }
  const at = argv.indexOf('--only');
  let only: Set<string> | null = null;
  if (at >= 0) {
    only = new Set((argv[at + 1] ?? '').split(',').filter(Boolean));
    const unknown = [...only].filter((n) => !BENCHES.some((b) => b.name === n));
    if (only.size === 0 || unknown.length > 0) {
      throw new Error(`--only: unknown benchmark "${unknown.join(', ')}" (known: ${BENCHES.map((b) => b.name).join(', ')})`);
    }
  }
  return { full: argv.includes('--full'), json: argv.includes('--json'), only };
}

/** Runs one benchmark, its own output streamed to stderr, and returns its stdout. */
function runOne(bench: Bench, args: readonly string[], timeoutMs: number): Promise<string> {
  const script = join(dirname(fileURLToPath(import.meta.url)), bench.script);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let lastError = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      process.stderr.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      lastError = chunk.toString().trim().split('\n').pop() ?? lastError;
      process.stderr.write(chunk);
    });
    // SIGINT: the benchmarks clean up their namespaces on it; SIGKILL only if that hangs.
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(signal || code === 130 ? `stopped after ${timeoutMs / 60_000} minutes` : `exit code ${code}: ${lastError || 'no message'}`));
    });
  });
}

async function runAll(options: Options): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const selected = BENCHES.filter((b) => options.only === null || options.only.has(b.name));
  for (const [i, bench] of selected.entries()) {
    const args = options.full ? bench.full : bench.quick;
    if (args === null) {
      outcomes.push({ bench: bench.name, figures: [], note: 'only with --full', failed: false });
      continue;
    }
    if (bench.needsRoot && process.getuid?.() !== 0) {
      outcomes.push({ bench: bench.name, figures: [], note: 'skipped: needs root (network namespaces)', failed: false });
      continue;
    }
    process.stderr.write(`\n== bench ${i + 1}/${selected.length}: ${bench.name} ${args.join(' ')}\n`);
    const started = Date.now();
    try {
      const stdout = await runOne(bench, args, bench.minutes[options.full ? 1 : 0] * 60_000);
      outcomes.push({ bench: bench.name, figures: parseFigures(stdout, bench.name), failed: false });
    } catch (err) {
      outcomes.push({ bench: bench.name, figures: [], note: `failed: ${(err as Error).message}`, failed: true });
    }
    process.stderr.write(`== ${bench.name}: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
  return outcomes;
}

function formatValue(value: number | null, unit: string): string {
  if (value === null) return '-';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

/** The one combined table: a row per figure, and a row per benchmark that gave none. */
function formatFigures(outcomes: readonly Outcome[]): string {
  const rows: string[][] = [];
  for (const outcome of outcomes) {
    for (const f of outcome.figures) {
      const r = ratio(f);
      rows.push([outcome.bench, f.figure, formatValue(f.ours, f.unit), f.peer, formatValue(f.peerValue, f.unit), r === null ? '-' : `${r.toFixed(2)}x`, `${f.better} is better`]);
    }
    if (outcome.note !== undefined) rows.push([outcome.bench, outcome.note, '', '', '', '', '']);
  }
  return formatTable(['bench', 'figure', 'garagenet', 'peer', 'peer value', 'ours / peer', ''], rows);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const outcomes = await runAll(options);
  process.stderr.write('\n');
  if (options.json) process.stdout.write(`${JSON.stringify({ mode: options.full ? 'full' : 'quick', outcomes }, null, 2)}\n`);
  else process.stdout.write(`garagenet benchmarks (${options.full ? 'full' : 'quick'} mode), one run, this machine\n\n${formatFigures(outcomes)}`);
  if (outcomes.some((o) => o.failed)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
