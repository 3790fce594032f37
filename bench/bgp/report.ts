import { formatTable } from '../../common/cli.js';

/**
 * One figure measured for each receiver of a run (e.g. seconds to the full
 * table), printed one row per receiver with its ratios against BIRD and
 * GoBGP measured in the same run.
 */
export interface Figure {
  readonly figure: string;
  readonly unit: string;
  /** Receiver name to value; a receiver that was not run has no entry. */
  readonly values: ReadonlyMap<string, number>;
  /** Receivers that hit their deadline: their value is a lower bound ("> 180"). */
  readonly atLeast?: ReadonlySet<string>;
  /** Figures that are not compared (e.g. the feeder's own send time) print no ratios. */
  readonly compare?: boolean;
}

const BIRD = 'BIRD 2';
const GOBGP = 'GoBGP 3';

function ratio(value: number, against: number | undefined, bound: { value: boolean; against: boolean }): string {
  if (against === undefined || !(against > 0) || Number.isNaN(value) || (bound.value && bound.against)) return '-';
  const text = `${(value / against).toFixed(2)}x`;
  if (bound.value) return `> ${text}`;
  return bound.against ? `< ${text}` : text;
}

function formatValue(value: number, unit: string, atLeast: boolean): string {
  if (Number.isNaN(value)) return 'n/a';
  const text = unit === 'MiB' ? value.toFixed(0) : value < 1 ? value.toFixed(3) : value.toFixed(2);
  return atLeast ? `> ${text}` : text;
}

export function formatFigures(figures: readonly Figure[]): string {
  const rows: string[][] = [];
  for (const f of figures) {
    for (const [peer, value] of f.values) {
      const compare = f.compare ?? true;
      const bounded = (name: string): boolean => f.atLeast?.has(name) ?? false;
      const against = (name: string): string => (compare ? ratio(value, f.values.get(name), { value: bounded(peer), against: bounded(name) }) : '-');
      rows.push([`${f.figure} (${f.unit})`, peer, formatValue(value, f.unit, bounded(peer)), against(BIRD), against(GOBGP)]);
    }
  }
  return formatTable(['figure', 'peer', 'value', 'x BIRD', 'x GoBGP'], rows);
}

/** Command-line switches shared by the BGP benchmarks: `--runs N`, `--no-gobgp`, and receiver keys. */
export interface BenchArguments {
  readonly runs: number;
  readonly receivers: readonly string[];
}

export function parseBenchArguments(argv: readonly string[], known: readonly string[]): BenchArguments {
  let runs = 1;
  let noGobgp = false;
  const named: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--runs') {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1 || runs > 10) throw new Error(`--runs "${argv[i]}" must be a whole number from 1 to 10`);
    } else if (arg === '--no-gobgp') {
      noGobgp = true;
    } else if (known.includes(arg)) {
      named.push(arg);
    } else {
      throw new Error(`unknown argument "${arg}" (use --runs N, --no-gobgp, or receivers: ${known.join(', ')})`);
    }
  }
  const receivers = (named.length > 0 ? named : known).filter((k) => !(noGobgp && k === 'gobgp'));
  return { runs, receivers };
}
