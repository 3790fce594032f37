import { oneLine } from './errors.js';

/**
 * Wraps a CLI action so that any failure prints one clear line to stderr and
 * exits non-zero, as `wg` and `ip` do. The action's own output goes to stdout.
 */
export function action<A extends unknown[]>(run: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (err) {
      process.stderr.write(`garagenet: ${oneLine(err)}\n`);
      process.exitCode = 1;
    }
  };
}

/** Prints a value for `--json`: stable key order as given, one document, trailing newline. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Formats rows as an aligned table, the way `wg show` and `gobgp neighbor` print. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
