import { SITE_V4 } from './address-plan.js';
import type { Experiment } from './model.js';
import { checkRange } from './validate.js';

/**
 * The guard-rail numbers of an experiment, checked and defaulted in one pure
 * step (0 in a request means "the default", as proto3 sends an unset field).
 */

const DAY = 86_400;

export interface LimitRange {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

/** Every limit's range and default, shared by the server's check and the CLI's options. */
export const LIMIT_RANGES = {
  // An experiment gets a whole slot or its first /25../28.
  prefixLength: { min: SITE_V4, max: 28, default: SITE_V4 },
  maxPrefixes: { min: 1, max: 100_000, default: 100 },
  maxUpdatesPerMinute: { min: 1, max: 1_000_000, default: 60 },
  /** Mbit/s an experiment's attachment may send: a home or campus line's worth at most. */
  maxMbits: { min: 1, max: 1000, default: 10 },
  durationSeconds: { min: 1, max: 365 * DAY, default: 7 * DAY },
} as const satisfies Record<keyof ExperimentLimits, LimitRange>;

export const MAX_MBITS = LIMIT_RANGES.maxMbits;

/** Entries in one AppendAuditLogBatch call (an etcd transaction allows 128 operations by default). */
export const MAX_AUDIT_BATCH = 100;

/** Audit entries in one ListAuditLog page when the caller names no limit, and at most. */
export const AUDIT_PAGE_DEFAULT = 100;
export const AUDIT_PAGE_MAX = 1000;

export interface ExperimentLimits {
  readonly maxPrefixes: number;
  readonly maxUpdatesPerMinute: number;
  readonly maxMbits: number;
  readonly durationSeconds: number;
  readonly prefixLength: number;
}

/** Throws INVALID_ARGUMENT naming the request field that is out of range. */
export function experimentLimits(req: ExperimentLimits): ExperimentLimits {
  const or = (value: number, field: string, range: LimitRange): number => (value ? checkRange(field, value, range.min, range.max) : range.default);
  return {
    maxPrefixes: or(req.maxPrefixes, 'max_prefixes', LIMIT_RANGES.maxPrefixes),
    maxUpdatesPerMinute: or(req.maxUpdatesPerMinute, 'max_updates_per_minute', LIMIT_RANGES.maxUpdatesPerMinute),
    maxMbits: or(req.maxMbits, 'max_mbits', LIMIT_RANGES.maxMbits),
    durationSeconds: or(req.durationSeconds, 'duration_seconds', LIMIT_RANGES.durationSeconds),
    prefixLength: or(req.prefixLength, 'prefix_length', LIMIT_RANGES.prefixLength),
  };
}

/** An experiment as stored: records written before a limit existed read as its default. */
export function experimentRecord(record: Experiment): Experiment {
  return record.maxMbits ? record : { ...record, maxMbits: MAX_MBITS.default };
}
