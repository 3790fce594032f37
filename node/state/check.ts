/**
 * Small checkers for JSON documents read from disk: each throws a message
 * that names the field by its path ("peers[2].endpoint: ..."), so that a
 * broken file is reported as one precise line.
 */

export function object(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${at || 'document'}: expected an object`);
  return value as Record<string, unknown>;
}

export function string(value: unknown, at: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new Error(`${at}: expected a non-empty string`);
  return value;
}

export function integer(value: unknown, at: string, range: { min: number; max: number }): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    throw new Error(`${at}: expected an integer in ${range.min}..${range.max}`);
  }
  return value;
}

export function array<T>(value: unknown, at: string, item: (v: unknown, at: string) => T): T[] {
  if (!Array.isArray(value)) throw new Error(`${at}: expected a list`);
  return value.map((v, i) => item(v, `${at}[${i}]`));
}

export function matching(value: unknown, at: string, test: (s: string) => boolean, what: string): string {
  const s = string(value, at);
  if (!test(s)) throw new Error(`${at}: not ${what}: ${JSON.stringify(s.slice(0, 60))}`);
  return s;
}

export function field(parent: Record<string, unknown>, name: string, at: string): [unknown, string] {
  return [parent[name], at === '' ? name : `${at}.${name}`];
}
