import { UserError } from '../../common/errors.js';
import { parsePrefix, prefixContains, prefixesOverlap, type Prefix } from '../../common/prefix.js';

/** What plane isolation needs to know about one node; validated before anything is applied. */

export interface Attachment {
  /** Interface of the researcher's router on this node (at most 15 characters). */
  readonly interface: string;
  readonly experiment: string;
  /** The experiment's allocation: the only sources accepted from the attachment. */
  readonly allocations: readonly string[];
  /** What the attachment may send, policed as it enters the node; unlimited when absent. */
  readonly rateLimit?: RateLimit;
}

export interface RateLimit {
  readonly bytesPerSecond: number;
  readonly burstBytes: number;
}

export interface IsolationConfig {
  readonly productionTable: number;
  readonly experimentalTable: number;
  readonly productionPools: readonly string[];
  readonly experimentalPools: readonly string[];
  readonly attachments: readonly Attachment[];
  /** Experiments cut by the kill switch: their attachments are dropped both ways. */
  readonly killed?: readonly string[];
  /** First policy-rule priority; the rules use the next 100. */
  readonly rulePriority?: number;
  /** Packet mark of experimental traffic (a single bit is best). */
  readonly experimentalMark?: number;
}

export const DEFAULT_RULE_PRIORITY = 1000;
export const DEFAULT_EXPERIMENTAL_MARK = 0x100;

function prefixes(list: readonly string[], field: string): Prefix[] {
  return list.map((text, i) => {
    try {
      return parsePrefix(text);
    } catch (err) {
      throw new UserError(`isolation config ${field}[${i}]: ${(err as Error).message}`, { hint: 'write prefixes like 10.0.0.0/8' });
    }
  });
}

function table(value: number, field: string): void {
  // 0 is unspecified, 253-255 are default/main/local.
  if (!Number.isInteger(value) || value < 1 || value > 0xffffffff || (value >= 253 && value <= 255)) {
    throw new UserError(`isolation config ${field}: ${value} is not a usable routing table`, { hint: 'pick a number from 1 to 252 or above 255' });
  }
}

/** Throws a UserError naming the field when the configuration cannot isolate the planes. */
export function validateIsolationConfig(config: IsolationConfig): void {
  table(config.productionTable, 'productionTable');
  table(config.experimentalTable, 'experimentalTable');
  if (config.productionTable === config.experimentalTable) {
    throw new UserError('isolation config: productionTable and experimentalTable are the same table', { hint: 'each plane needs its own table' });
  }
  const production = prefixes(config.productionPools, 'productionPools');
  const experimental = prefixes(config.experimentalPools, 'experimentalPools');
  if (experimental.length === 0) throw new UserError('isolation config experimentalPools: empty', { hint: 'list the experimental pools' });
  for (const [i, p] of production.entries()) {
    const j = experimental.findIndex((e) => prefixesOverlap(p, e));
    if (j >= 0) {
      throw new UserError(`isolation config: productionPools[${i}] ${config.productionPools[i]} overlaps experimentalPools[${j}] ${config.experimentalPools[j]}`, {
        hint: 'the planes must use disjoint pools',
      });
    }
  }
  const names = new Set<string>();
  for (const [i, a] of config.attachments.entries()) {
    const where = `isolation config attachments[${i}] (${a.experiment})`;
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(a.interface)) {
      throw new UserError(`${where}: "${a.interface}" is not an interface name`, { hint: 'at most 15 letters, digits, "_", "." or "-"' });
    }
    if (names.has(a.interface)) throw new UserError(`${where}: interface ${a.interface} is listed twice`);
    names.add(a.interface);
    const limit = a.rateLimit;
    if (limit && !(Number.isInteger(limit.bytesPerSecond) && limit.bytesPerSecond > 0 && Number.isInteger(limit.burstBytes) && limit.burstBytes > 0)) {
      throw new UserError(`${where}: rateLimit ${limit.bytesPerSecond} bytes/s, burst ${limit.burstBytes} bytes: both must be positive whole numbers`);
    }
    for (const [k, alloc] of prefixes(a.allocations, `attachments[${i}].allocations`).entries()) {
      if (!experimental.some((pool) => prefixContains(pool, alloc))) {
        throw new UserError(`${where}: allocation ${a.allocations[k]} is outside the experimental pools`, {
          hint: 'an experiment gets space from the experimental pools only',
        });
      }
    }
  }
  const mark = config.experimentalMark ?? DEFAULT_EXPERIMENTAL_MARK;
  if (!Number.isInteger(mark) || mark <= 0 || mark > 0xffffffff) {
    throw new UserError(`isolation config experimentalMark: ${mark} is not a packet mark`, { hint: 'use a single bit such as 0x100' });
  }
}

export function familyOf(prefix: string): 4 | 6 {
  return prefix.includes(':') ? 6 : 4;
}
