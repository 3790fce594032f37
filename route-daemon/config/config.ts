import { readFile } from 'node:fs/promises';
import { oneLine } from '../../common/errors.js';
import { formatPrefix, parseAddress, parsePrefix, prefixesOverlap, type Address, type Prefix } from '../../common/prefix.js';
import type { BogonLimits } from '../policy/bogon.js';
import type { RouteAuthorization } from '../policy/origin-validation.js';
import { PLANES, type PeerSettings, type Plane } from '../routing/instance.js';
import { ConfigError, parseIni, type IniEntry, type IniSection } from './ini.js';

/**
 * The route daemon's configuration file: one [router] section, one
 * [plane NAME] section per plane the node takes part in, one [peer NAME]
 * section per neighbor. Everything is checked on load; an error names the
 * file, the line and the field, and says how to fix it.
 *
 *   [router]
 *   asn = 4200000001
 *   router-id = 10.64.0.1
 *   listen = [::]:179
 *   control-socket = /run/garagenet/routed.sock
 *
 *   [plane production]
 *   pools = 10.64.0.0/10, fd00:64::/32
 *   damping = yes
 *   authorize = 10.64.1.0/24 max 24 as 4200000001
 *
 *   [peer garage-b]
 *   plane = production
 *   address = 10.64.0.2
 *   asn = 4200000002
 *   max-prefixes = 1000
 *
 *   [peer exp-alice]           # a researcher's router
 *   plane = experimental
 *   experiment = alice-bgp     # only the experiment's own routes, from its AS
 *   address = 10.200.0.2
 *   asn = 4200000100           # the experiment's ASN
 *   max-prefixes = 100
 *   max-as-path-length = 5
 *   max-communities = 10
 *   max-updates-per-minute = 60
 */

export interface RouterConfig {
  readonly asn: number;
  /** BGP identifier as an unsigned 32-bit number. */
  readonly routerId: number;
  readonly listen: { readonly host: string; readonly port: number };
  readonly controlSocket: string;
}

export interface PlaneConfig {
  readonly plane: Plane;
  readonly pools: readonly Prefix[];
  readonly bogons: BogonLimits;
  readonly stalePathSeconds: number;
  /** Route flap damping with the RFC 7196 parameters. */
  readonly damping: boolean;
  /** Static route authorizations; the registry's are added at run time. */
  readonly authorizations: readonly RouteAuthorization[];
}

export interface PeerConfig extends PeerSettings {
  readonly plane: Plane;
  readonly port: number;
  readonly passive: boolean;
  readonly holdTimeSeconds: number;
  readonly connectRetrySeconds: number;
  readonly gracefulRestart: boolean;
  readonly restartTimeSeconds: number;
  /** Source address for the TCP connection; the next hop we announce. */
  readonly localAddress?: Address;
  /** Where the definition is, for later messages about this peer. */
  readonly line: number;
}

export interface RouteDaemonConfig {
  readonly file: string;
  readonly router: RouterConfig;
  readonly planes: ReadonlyMap<Plane, PlaneConfig>;
  readonly peers: readonly PeerConfig[];
}

export const DEFAULT_CONTROL_SOCKET = '/run/garagenet/routed.sock';
const AS_TRANS = 23456;

export async function loadConfig(file: string): Promise<RouteDaemonConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the configuration: ${oneLine(err)}`, { file, hint: 'check the path given with --config' });
  }
  return parseConfig(text, { file });
}

export function parseConfig(text: string, options: { file: string }): RouteDaemonConfig {
  const { file } = options;
  const sections = parseIni(text, { file });
  const routers = sections.filter((s) => s.kind === 'router');
  for (const s of sections) {
    if (!['router', 'plane', 'peer'].includes(s.kind)) {
      throw new ConfigError(`unknown section [${s.kind}]`, { file, line: s.line, hint: 'sections are [router], [plane NAME] and [peer NAME]' });
    }
  }
  if (routers.length === 0) throw new ConfigError('no [router] section', { file, hint: 'add [router] with asn and router-id' });
  if (routers.length > 1) throw new ConfigError('a second [router] section', { file, line: routers[1]!.line, hint: 'merge it into the first one' });
  const router = readRouter(new SectionReader(routers[0]!, file));

  const planes = new Map<Plane, PlaneConfig>();
  for (const s of sections.filter((x) => x.kind === 'plane')) {
    const plane = planeName(s.name, { file, line: s.line, field: 'section' });
    if (planes.has(plane)) throw new ConfigError(`plane ${plane} is configured twice`, { file, line: s.line, hint: 'keep one [plane NAME] section per plane' });
    planes.set(plane, readPlane(new SectionReader(s, file), plane));
  }
  checkPlanesDisjoint([...planes.values()], file);

  const peers: PeerConfig[] = [];
  for (const s of sections.filter((x) => x.kind === 'peer')) {
    if (!s.name) throw new ConfigError('peer section without a name', { file, line: s.line, hint: 'write it like [peer garage-b]' });
    if (peers.some((p) => p.name === s.name)) throw new ConfigError(`peer ${s.name} is defined twice`, { file, line: s.line, hint: 'peer names must be unique' });
    const peer = readPeer(new SectionReader(s, file));
    if (!planes.has(peer.plane)) {
      throw new ConfigError(`peer ${peer.name} is in plane ${peer.plane}, which has no [plane ${peer.plane}] section`, {
        file, line: s.line, field: 'plane', hint: `add [plane ${peer.plane}] with its pools`,
      });
    }
    const twin = peers.find((p) => p.plane === peer.plane && p.address.value === peer.address.value && p.address.family === peer.address.family);
    if (twin) {
      throw new ConfigError(`address is already used by peer ${twin.name} (line ${twin.line}) in plane ${peer.plane}`, {
        file, line: s.line, field: 'address', hint: 'one session per neighbor address and plane',
      });
    }
    peers.push(peer);
  }
  return { file, router, planes, peers };
}

function readRouter(r: SectionReader): RouterConfig {
  const asn = r.asn('asn', { required: true })!;
  const routerId = r.parse('router-id', (text) => {
    const a = parseAddress(text);
    if (a.family !== 4 || a.value === 0n) throw new Error(`"${text}" must be a non-zero IPv4 address`);
    return Number(a.value);
  }, { required: true });
  const listen = r.parse('listen', parseListen) ?? { host: '::', port: 179 };
  const controlSocket = r.value('control-socket') ?? DEFAULT_CONTROL_SOCKET;
  r.finish();
  return { asn, routerId: routerId!, listen, controlSocket };
}

function readPlane(r: SectionReader, plane: Plane): PlaneConfig {
  const pools = r.parse('pools', (text) => text.split(',').map((p) => parsePrefix(p.trim())), { required: true })!;
  const maxLengthIpv4 = r.int('max-prefix-length-ipv4', { min: 8, max: 32 });
  const maxLengthIpv6 = r.int('max-prefix-length-ipv6', { min: 16, max: 128 });
  const stalePathSeconds = r.int('stale-path-time', { min: 1, max: 3600 }) ?? 360;
  const damping = r.bool('damping') ?? false;
  const authorizations = r.all('authorize').map((entry) => r.parseEntry(entry, (text) => parseAuthorization(text, plane)));
  r.finish();
  return {
    plane,
    pools,
    bogons: { ...(maxLengthIpv4 ? { maxLengthIpv4 } : {}), ...(maxLengthIpv6 ? { maxLengthIpv6 } : {}) },
    stalePathSeconds,
    damping,
    authorizations,
  };
}

function readPeer(r: SectionReader): PeerConfig {
  const plane = r.parse('plane', (text) => planeName(text, {}), { required: true })!;
  const address = r.parse('address', parseAddress, { required: true })!;
  const asn = r.asn('asn', { required: true })!;
  const port = r.int('port', { min: 1, max: 65535 }) ?? 179;
  const passive = r.bool('passive') ?? false;
  const holdTimeSeconds = r.parse('hold-time', (text) => {
    const n = strictInt(text);
    if (n !== 0 && (n < 3 || n > 65535)) throw new Error('must be 0 (no keepalives) or 3 to 65535 seconds (RFC 4271 §4.2)');
    return n;
  }) ?? 90;
  const connectRetrySeconds = r.int('connect-retry', { min: 1, max: 3600 }) ?? 30;
  const maxPrefixes = r.int('max-prefixes', { min: 1, max: 10_000_000 });
  const maxAsPathLength = r.int('max-as-path-length', { min: 1, max: 255 });
  const maxCommunities = r.int('max-communities', { min: 0, max: 10_000 });
  const experiment = r.parse('experiment', (text) => {
    // The registry's rule for names, so that the audit log can name the experiment.
    if (!/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/.test(text)) throw new Error(`"${text}" is not an experiment name (1-32 of a-z, 0-9 and "-", not starting or ending with "-")`);
    return text;
  });
  const importLocalPref = r.int('local-pref', { min: 0, max: 0xffffffff });
  const perSecond = r.int('max-update-rate', { min: 1, max: 10_000_000 });
  // The registry states an experiment's limit per minute; slower than one a second is common there.
  const perMinute = r.int('max-updates-per-minute', { min: 1, max: 600_000_000 });
  if (perSecond !== undefined && perMinute !== undefined) {
    throw new ConfigError('max-update-rate and max-updates-per-minute are both set', {
      file: r.file, line: r.section.line, field: 'max-updates-per-minute', hint: 'keep one of the two',
    });
  }
  const maxUpdateRate = perSecond ?? (perMinute !== undefined ? perMinute / 60 : undefined);
  const gracefulRestart = r.bool('graceful-restart') ?? true;
  const restartTimeSeconds = r.int('restart-time', { min: 1, max: 4095 }) ?? 120;
  const localAddress = r.parse('local-address', parseAddress);
  r.finish();
  if (experiment !== undefined && plane !== 'experimental') {
    throw new ConfigError(`peer ${r.section.name} is attached for experiment ${experiment} but is in plane ${plane}`, {
      file: r.file, line: r.section.line, field: 'plane', hint: 'a researcher\'s router peers with the experimental plane only: set plane = experimental',
    });
  }
  if (localAddress && localAddress.family !== address.family) {
    throw new ConfigError('local-address is not of the same family as address', { file: r.file, line: r.section.line, field: 'local-address', hint: 'use an address of the family the session runs over' });
  }
  return {
    name: r.section.name, plane, address, asn, port, passive, holdTimeSeconds, connectRetrySeconds, gracefulRestart, restartTimeSeconds,
    ...(maxPrefixes !== undefined ? { maxPrefixes } : {}),
    ...(maxAsPathLength !== undefined ? { maxAsPathLength } : {}),
    ...(maxCommunities !== undefined ? { maxCommunities } : {}),
    ...(experiment !== undefined ? { experiment } : {}),
    ...(importLocalPref !== undefined ? { importLocalPref } : {}),
    ...(maxUpdateRate !== undefined ? { maxUpdateRate } : {}),
    ...(localAddress ? { localAddress } : {}),
    line: r.section.line,
  };
}

/** "10.64.1.0/24 max 24 as 4200000001" */
function parseAuthorization(text: string, plane: Plane): RouteAuthorization {
  const m = /^(\S+)\s+max\s+(\d+)\s+as\s*(\d+)$/i.exec(text);
  if (!m) throw new Error('write it as PREFIX max LENGTH as ASN, like 10.64.1.0/24 max 24 as 4200000001');
  const prefix = parsePrefix(m[1]!);
  const maxLength = Number(m[2]);
  const bits = prefix.family === 4 ? 32 : 128;
  if (maxLength < prefix.length || maxLength > bits) throw new Error(`max ${maxLength} must be between the prefix length ${prefix.length} and ${bits}`);
  return { prefix, maxLength, originAsn: checkAsn(Number(m[3])), plane };
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text);
  if (!m) throw new Error('write it as ADDRESS:PORT, like 0.0.0.0:179 or [::]:179');
  const host = m[1] ?? m[2]!;
  parseAddress(host);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Error('the port must be 1 to 65535');
  return { host, port };
}

function planeName(text: string, place: { file?: string; line?: number; field?: string }): Plane {
  if ((PLANES as readonly string[]).includes(text)) return text as Plane;
  const message = `"${text}" is not a plane`;
  const hint = `planes are ${PLANES.join(' and ')}`;
  if (place.file) throw new ConfigError(message, { file: place.file, ...(place.line ? { line: place.line } : {}), ...(place.field ? { field: place.field } : {}), hint });
  throw new Error(`${message} (${hint})`);
}

function checkAsn(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new Error('an AS number is 1 to 4294967295');
  if (n === AS_TRANS) throw new Error('23456 is AS_TRANS (RFC 6793) and cannot be a real AS');
  return n;
}

function strictInt(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`"${text}" is not a whole number`);
  return Number(text);
}

function checkPlanesDisjoint(planes: readonly PlaneConfig[], file: string): void {
  for (const a of planes) {
    for (const b of planes) {
      if (a.plane >= b.plane) continue;
      for (const pa of a.pools) {
        const clash = b.pools.find((pb) => prefixesOverlap(pa, pb));
        if (clash) {
          throw new ConfigError(`pool ${formatPrefix(pa)} of ${a.plane} overlaps pool ${formatPrefix(clash)} of ${b.plane}`, {
            file, field: 'pools', hint: 'the planes must use disjoint address space',
          });
        }
      }
    }
  }
}

/** Reads the keys of one section, each at most once unless repeatable, and refuses keys nobody asked for. */
class SectionReader {
  private readonly used = new Set<string>();
  private readonly known: string[] = [];

  constructor(readonly section: IniSection, readonly file: string) {
    const seen = new Map<string, IniEntry>();
    for (const e of section.entries) {
      const earlier = seen.get(e.key);
      if (earlier && e.key !== 'authorize') {
        throw new ConfigError(`set twice (first on line ${earlier.line})`, { file, line: e.line, field: e.key, hint: 'keep one of the two lines' });
      }
      seen.set(e.key, e);
    }
  }

  value(key: string, options: { required?: boolean } = {}): string | undefined {
    this.known.push(key);
    this.used.add(key);
    const entry = this.section.entries.find((e) => e.key === key);
    if (!entry && options.required) {
      const where = this.section.name ? `[${this.section.kind} ${this.section.name}]` : `[${this.section.kind}]`;
      throw new ConfigError(`${where} needs ${key}`, { file: this.file, line: this.section.line, field: key, hint: `add a line "${key} = ..." to the section` });
    }
    return entry?.value;
  }

  all(key: string): IniEntry[] {
    this.known.push(key);
    this.used.add(key);
    return this.section.entries.filter((e) => e.key === key);
  }

  parse<T>(key: string, parse: (text: string) => T, options: { required?: boolean } = {}): T | undefined {
    const text = this.value(key, options);
    if (text === undefined) return undefined;
    return this.parseEntry(this.section.entries.find((e) => e.key === key)!, parse);
  }

  parseEntry<T>(entry: IniEntry, parse: (text: string) => T): T {
    try {
      return parse(entry.value);
    } catch (err) {
      const hint = err instanceof Error && 'hint' in err && typeof err.hint === 'string' ? err.hint : undefined;
      const message = err instanceof Error ? err.message : String(err);
      throw new ConfigError(message, { file: this.file, line: entry.line, field: entry.key, ...(hint ? { hint } : {}) });
    }
  }

  int(key: string, range: { min: number; max: number }): number | undefined {
    return this.parse(key, (text) => {
      const n = strictInt(text);
      if (n < range.min || n > range.max) throw new Error(`${n} is out of range ${range.min} to ${range.max}`);
      return n;
    });
  }

  asn(key: string, options: { required?: boolean } = {}): number | undefined {
    return this.parse(key, (text) => checkAsn(strictInt(text.replace(/^AS/i, ''))), options);
  }

  bool(key: string): boolean | undefined {
    return this.parse(key, (text) => {
      const t = text.toLowerCase();
      if (['yes', 'true', 'on'].includes(t)) return true;
      if (['no', 'false', 'off'].includes(t)) return false;
      throw new Error(`"${text}" is not yes or no`);
    });
  }

  /** Fails on the first key no reader asked for. */
  finish(): void {
    const stray = this.section.entries.find((e) => !this.used.has(e.key));
    if (!stray) return;
    const close = this.known.find((k) => editDistance(k, stray.key) <= 2);
    throw new ConfigError(`unknown setting in [${this.section.kind}]`, {
      file: this.file, line: stray.line, field: stray.key,
      hint: close ? `did you mean ${close}?` : `known settings: ${this.known.join(', ')}`,
    });
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
