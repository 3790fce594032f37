import { UserError } from '../../common/errors.js';
import { parseAddress, parsePrefix, type Address, type Prefix } from '../../common/prefix.js';
import { PLANES, type Plane } from '../sources/types.js';
import { HttpError } from './http-error.js';

/**
 * Every query parameter of every endpoint is declared here by kind; a request
 * is checked against its endpoint's schema before any handler runs, and the
 * first problem becomes a 400 naming the parameter and how to fix it.
 */
export type ParamKind =
  | 'plane'
  | 'node-name'
  | 'target'
  | 'prefix'
  | 'address'
  | 'asn'
  | 'community'
  | 'large-community'
  | 'limit'
  | 'probe-kind';

export interface ParamSpec {
  readonly kind: ParamKind;
  readonly required?: boolean;
}

export type QuerySchema = Readonly<Record<string, ParamSpec>>;

/** What each kind parses to. */
export interface ParsedValue {
  plane: Plane;
  'node-name': string;
  target: Address | Prefix;
  prefix: Prefix;
  address: Address;
  asn: number;
  community: string;
  'large-community': string;
  limit: number;
  'probe-kind': 'ping' | 'traceroute';
}

export type ParsedQuery = Record<string, ParsedValue[ParamKind] | undefined>;

const MAX_VALUE_LENGTH = 128;
const MAX_LIMIT = 1000;
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function validateQuery(schema: QuerySchema, params: URLSearchParams): ParsedQuery {
  for (const name of new Set(params.keys())) {
    if (!(name in schema)) {
      const allowed = Object.keys(schema);
      throw new HttpError(400, `unknown query parameter "${clip(name)}"`, {
        field: clip(name),
        hint: allowed.length > 0 ? `this endpoint takes ${allowed.join(', ')}` : 'this endpoint takes no parameters',
      });
    }
    if (params.getAll(name).length > 1) throw new HttpError(400, `query parameter "${name}" is given more than once`, { field: name, hint: 'give it once' });
  }
  const out: ParsedQuery = {};
  for (const [name, spec] of Object.entries(schema)) {
    const raw = params.get(name);
    if (raw === null || raw === '') {
      if (spec.required) throw new HttpError(400, `query parameter "${name}" is required`, { field: name, hint: hintFor(spec.kind) });
      continue;
    }
    out[name] = parseValue(name, spec.kind, raw);
  }
  return out;
}

/** Parses one value (also used for path segments such as a node name). */
export function parseValue<K extends ParamKind>(field: string, kind: K, raw: string): ParsedValue[K] {
  if (raw.length > MAX_VALUE_LENGTH) throw new HttpError(400, `"${field}" is longer than ${MAX_VALUE_LENGTH} characters`, { field, hint: hintFor(kind) });
  const bad = (what: string): HttpError => new HttpError(400, `"${field}": "${clip(raw)}" ${what}`, { field, hint: hintFor(kind) });
  // Nothing a parser could echo back verbatim: control characters and non-ASCII never belong in any value.
  if (/[^\x20-\x7e]/.test(raw)) throw bad('has characters that cannot appear in it');
  const fromUserError = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (err) {
      if (err instanceof UserError) throw new HttpError(400, `"${field}": ${err.message}`, { field, hint: err.hint ?? hintFor(kind) });
      throw err;
    }
  };
  switch (kind) {
    case 'plane':
      if (!(PLANES as readonly string[]).includes(raw)) throw bad('is not a plane');
      return raw as ParsedValue[K];
    case 'node-name':
      if (!NAME.test(raw)) throw bad('is not a valid name');
      return raw as ParsedValue[K];
    case 'target':
      return fromUserError(() => (raw.includes('/') ? parsePrefix(raw) : parseAddress(raw))) as ParsedValue[K];
    case 'prefix':
      return fromUserError(() => parsePrefix(raw)) as ParsedValue[K];
    case 'address':
      return fromUserError(() => parseAddress(raw)) as ParsedValue[K];
    case 'asn': {
      const m = /^(?:AS)?(\d{1,10})$/i.exec(raw);
      const asn = m ? Number(m[1]) : NaN;
      if (!(asn >= 1 && asn <= 0xffffffff)) throw bad('is not an AS number');
      return asn as ParsedValue[K];
    }
    case 'community':
      if (!partsInRange(raw, 2, 0xffff)) throw bad('is not a community');
      return canonical(raw) as ParsedValue[K];
    case 'large-community':
      if (!partsInRange(raw, 3, 0xffffffff)) throw bad('is not a large community');
      return canonical(raw) as ParsedValue[K];
    case 'limit': {
      const n = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
      if (!(n >= 1 && n <= MAX_LIMIT)) throw bad('is not a limit');
      return n as ParsedValue[K];
    }
    case 'probe-kind':
      if (raw !== 'ping' && raw !== 'traceroute') throw bad('is not a probe kind');
      return raw as ParsedValue[K];
  }
  throw new Error(`unknown parameter kind ${String(kind)}`);
}

function partsInRange(raw: string, count: number, max: number): boolean {
  const parts = raw.split(':');
  return parts.length === count && parts.every((p) => /^\d{1,10}$/.test(p) && Number(p) <= max);
}

function canonical(raw: string): string {
  return raw.split(':').map((p) => String(Number(p))).join(':');
}

function hintFor(kind: ParamKind): string {
  switch (kind) {
    case 'plane': return `use one of ${PLANES.join(', ')}`;
    case 'node-name': return 'use a node name as listed by /api/v1/nodes, like aalto-garage';
    case 'target': return 'give an address like 10.96.0.1 or a prefix like 10.97.1.0/24';
    case 'prefix': return 'write it with a length, like 10.97.1.0/24';
    case 'address': return 'write it like 10.96.0.1 or fd00:96::1';
    case 'asn': return 'write it like 4200000101 or AS4200000101 (1 to 4294967295)';
    case 'community': return 'write it as two numbers 0-65535, like 64512:100';
    case 'large-community': return 'write it as three numbers 0-4294967295, like 4200000000:1:2';
    case 'limit': return `use a whole number from 1 to ${MAX_LIMIT}`;
    case 'probe-kind': return 'use ping or traceroute';
  }
}

/** Echoes client input back only in a short, printable form. */
function clip(raw: string): string {
  const printable = raw.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}...` : printable;
}
