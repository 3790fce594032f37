/**
 * The machine-readable side of every benchmark: after its human table, a
 * benchmark prints one line `bench-figures {...}` that `bench/run.ts` collects
 * into the one combined table. A figure pairs our value with the peer it is
 * compared with, measured in the same run (or, where the peer cannot run here,
 * the ANCHORS.md reference, which the peer's name then says).
 */
export interface Figure {
  /** What is measured, with its size: "FIB add 100,000 routes". */
  readonly figure: string;
  /** Unit of both values: "s", "ms", "routes/s", "Mbit/s", "MiB", "packets". */
  readonly unit: string;
  /** garagenet's value; null where garagenet has no entrant yet. */
  readonly ours: number | null;
  /** The peer: "ip -batch", "BIRD 2 BFD 50 ms x 3", "bare veth line". */
  readonly peer: string;
  readonly peerValue: number | null;
  /** Which direction is better, so that a reader can read the ratio. */
  readonly better: 'lower' | 'higher';
}

export const FIGURES_MARK = 'bench-figures ';

/** Prints the figures as the benchmark's last stdout line. */
export function emitFigures(bench: string, figures: readonly Figure[]): void {
  process.stdout.write(`${FIGURES_MARK}${JSON.stringify({ bench, figures })}\n`);
}

/** The figures of one benchmark's stdout (its last marked line); a clear error when there is none or it is malformed. */
export function parseFigures(stdout: string, bench: string): Figure[] {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith(FIGURES_MARK));
  if (line === undefined) throw new Error(`benchmark ${bench} printed no "${FIGURES_MARK.trim()}" line`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.slice(FIGURES_MARK.length));
  } catch (err) {
    throw new Error(`benchmark ${bench}: its figures line is not JSON (${(err as Error).message})`);
  }
  const figures = (parsed as { figures?: unknown }).figures;
  if (!Array.isArray(figures)) throw new Error(`benchmark ${bench}: its figures line has no "figures" array`);
  return figures.map((f: unknown, i) => checkFigure(f, `benchmark ${bench}, figure ${i + 1}`));
}

function checkFigure(value: unknown, where: string): Figure {
  const f = value as Record<string, unknown>;
  const numberOrNull = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v));
  if (typeof f.figure !== 'string' || typeof f.unit !== 'string' || typeof f.peer !== 'string') throw new Error(`${where}: figure, unit and peer must be strings`);
  if (!numberOrNull(f.ours) || !numberOrNull(f.peerValue)) throw new Error(`${where} (${f.figure}): ours and peerValue must be finite numbers or null`);
  if (f.better !== 'lower' && f.better !== 'higher') throw new Error(`${where} (${f.figure}): better must be "lower" or "higher"`);
  return f as unknown as Figure;
}

/** ours / peer, or null where either is missing or the peer is zero. */
export function ratio(figure: Figure): number | null {
  if (figure.ours === null || figure.peerValue === null || figure.peerValue === 0) return null;
  return figure.ours / figure.peerValue;
}
