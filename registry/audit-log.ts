import { randomBytes } from 'node:crypto';
import { Range } from 'etcd3';
import type { AuditEntry, AuditPage, AuditPageRequest } from './model.js';
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX } from './experiment-limits.js';
import { invalidArgument } from './rpc-error.js';
import type { Store } from './store.js';

/**
 * An experiment's audit log in etcd, read a page at a time.
 *
 * Keys sort newest first: each starts with the entry's time counted down from
 * END_MS. The page nearly every reader wants (`experiment status`, `log
 * --limit`, the looking glass's first look) is then one ascending range with a
 * limit, however long the log has grown; etcd would read every key of the
 * range to serve it in descending order.
 */
const END_MS = 10 ** 13; // 2286-11-20; 13 digits until then
const COUNTDOWN_DIGITS = 13;

/** A key suffix, which is also the cursor a page hands back. */
const CURSOR = new RegExp(`^\\d{${COUNTDOWN_DIGITS}}-[0-9a-f]{8}(\\.\\d{3})?$`);
/** How keys were written before they counted down: the ISO time first. */
const TIME_FIRST = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)-([0-9a-f]{8})(?:\.(\d{3}))?$/;

/**
 * The key suffix of an entry written at `at`. `tie` keeps entries of one
 * millisecond apart (eight hex digits, random unless given); a batch passes
 * its position as well so that, read newest first, its later entries come first.
 */
export function auditKeySuffix(at: string, tie: { batch: string; index?: number } = { batch: randomBytes(4).toString('hex') }): string {
  const countdown = String(END_MS - Date.parse(at)).padStart(COUNTDOWN_DIGITS, '0');
  return tie.index === undefined ? `${countdown}-${tie.batch}` : `${countdown}-${tie.batch}.${String(999 - tie.index).padStart(3, '0')}`;
}

/** A page request checked, with its limit filled in. */
export interface CheckedAuditPageRequest { limit: number; before?: string; after?: string }

/** Checks a page request; the errors name the field and what it takes. */
export function checkAuditPageRequest(req: AuditPageRequest): CheckedAuditPageRequest {
  if (!Number.isInteger(req.limit) || req.limit < 0 || req.limit > AUDIT_PAGE_MAX) {
    throw invalidArgument('limit', `${req.limit} entries; 1..${AUDIT_PAGE_MAX} a page (0: ${AUDIT_PAGE_DEFAULT})`);
  }
  if (req.before && req.after) throw invalidArgument('before', 'give before or after, not both');
  for (const [field, cursor] of [['before', req.before], ['after', req.after]] as const) {
    if (cursor && !CURSOR.test(cursor)) throw invalidArgument(field, `"${cursor}" is not a cursor of an audit log (pass back a page's first or last)`);
  }
  return {
    limit: req.limit || AUDIT_PAGE_DEFAULT,
    ...(req.before ? { before: req.before } : {}),
    ...(req.after ? { after: req.after } : {}),
  };
}

/**
 * One page of the log under `prefix`: the newest entries, the ones before a
 * cursor, or the ones after it. Reads one more than the limit to know
 * whether there are more.
 */
export async function readAuditPage(store: Store, prefix: string, request: CheckedAuditPageRequest): Promise<AuditPage> {
  const { limit, before, after } = request;
  const end = Range.prefix(prefix).end;
  // Newer entries have smaller keys: "after" reads down from the cursor, the others up.
  const range = after
    ? store.etcd.getAll().inRange({ start: prefix, end: prefix + after }).sort('Key', 'Descend')
    : store.etcd.getAll().inRange({ start: before ? `${prefix}${before}\0` : prefix, end });
  const res = await range.limit(limit + 1).exec();
  const kvs = res.kvs.slice(0, limit);
  const oldestFirst = after ? kvs : kvs.reverse();
  const cursor = (i: number): string => oldestFirst[i]?.key.toString().slice(prefix.length) ?? '';
  return {
    entries: oldestFirst.map((kv) => JSON.parse(kv.value.toString()) as AuditEntry),
    first: cursor(0),
    last: cursor(oldestFirst.length - 1),
    more: res.kvs.length > limit,
  };
}

/**
 * Rewrites the audit entries that a registry wrote before keys counted down,
 * so that they sort with the new ones; reads keys a thousand at a time, and
 * once per etcd: a marker key says the pass is done. Each move is a
 * transaction that finds the old key still there, so registries starting
 * together move each entry once. Returns how many it moved.
 */
export async function moveTimeFirstAuditKeys(store: Store): Promise<number> {
  const { audits, auditsCountDown } = store.keys;
  if (await store.etcd.get(auditsCountDown).exists()) return 0;
  const end = Range.prefix(audits).end;
  let moved = 0;
  for (let start = audits; ;) {
    const keys = await store.etcd.getAll().inRange({ start, end }).limit(1000).keys();
    for (const key of keys) {
      const slash = key.lastIndexOf('/');
      const old = TIME_FIRST.exec(key.slice(slash + 1));
      if (!old) continue;
      const [, at, batch, index] = old;
      const fresh = key.slice(0, slash + 1) + auditKeySuffix(at!, { batch: batch!, ...(index === undefined ? {} : { index: Number(index) }) });
      const value = await store.etcd.get(key).buffer();
      if (!value) continue;
      const txn = await store.etcd.if(key, 'Create', '>', 0).then(store.etcd.put(fresh).value(value), store.etcd.delete().key(key)).commit();
      if (txn.succeeded) moved++;
    }
    if (keys.length < 1000) break;
    start = `${keys[keys.length - 1]!}\0`;
  }
  await store.etcd.put(auditsCountDown).value(new Date().toISOString());
  return moved;
}
