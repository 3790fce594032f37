import type { Experiment } from './model.js';
import { checkRange } from './validate.js';

/**
 * The guard-rail numbers of an experiment, checked and defaulted in one pure
 * step (0 in a request means "the default", as proto3 sends an unset field).
 */

const DAY = 86_400;

export const SLOT_V4_LENGTH = 24;
export const MAX_V4_LENGTH = 28;

/** Mbit/s an experiment's attachment may send: a home or campus line's worth at most. */
export const MAX_MBITS = { default: 10, min: 1, max: 1000 } as const;

/** Entries in one AppendAuditLogBatch call (an etcd transaction allows 128 operations by default). */
export const MAX_AUDIT_BATCH = 100;

export interface ExperimentLimits {
  readonly maxPrefixes: number;
  readonly maxUpdatesPerMinute: number;
  readonly maxMbits: number;
  readonly durationSeconds: number;
  readonly prefixLength: number;
}

/** Throws INVALID_ARGUMENT naming the request field that is out of range. */
export function experimentLimits(req: ExperimentLimits): ExperimentLimits {
  const or = (value: number, field: string, range: { min: number; max: number; default: number }): number =>
    value ? checkRange(field, value, range.min, range.max) : range.default;
  return {
    maxPrefixes: or(req.maxPrefixes, 'max_prefixes', { min: 1, max: 100_000, default: 100 }),
    maxUpdatesPerMinute: or(req.maxUpdatesPerMinute, 'max_updates_per_minute', { min: 1, max: 1_000_000, default: 60 }),
    maxMbits: or(req.maxMbits, 'max_mbits', MAX_MBITS),
    durationSeconds: or(req.durationSeconds, 'duration_seconds', { min: 1, max: 365 * DAY, default: 7 * DAY }),
    // One slot is a /24: an experiment gets the whole slot or its first /25../28.
    prefixLength: or(req.prefixLength, 'prefix_length', { min: SLOT_V4_LENGTH, max: MAX_V4_LENGTH, default: SLOT_V4_LENGTH }),
  };
}

/** An experiment as stored: records written before a limit existed read as its default. */
export function experimentRecord(record: Experiment): Experiment {
  return record.maxMbits ? record : { ...record, maxMbits: MAX_MBITS.default };
}
