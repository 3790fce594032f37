import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moveTimeFirstAuditKeys } from './audit-log.js';
import { RegistryClient } from './client.js';
import { KeyLayout } from './keys.js';
import { startLocalEtcd, startLocalRegistry, wgPublicKey, type LocalRegistry } from './local-registry.js';
import { connectEtcd, Store } from './store.js';
import { expectRefusal } from './test-support/harness.js';

// An experiment's audit log read a page at a time, against a real etcd and a
// real registry: the newest page, pages before and after a cursor, the whole
// log, and entries a registry wrote before keys counted down.

let etcd: Awaited<ReturnType<typeof startLocalEtcd>>;
let t: LocalRegistry;
let host: RegistryClient;
let other: RegistryClient;
const ENTRIES = 2500;
const detail = (i: number): string => `e${String(i).padStart(4, '0')}`;
const details = (entries: readonly { detail: string }[]): string[] => entries.map((e) => e.detail);
/** The log's details, oldest first: the entries sent, then the "attached" entry (now; its detail is the router). */
const LOG = [...Array.from({ length: ENTRIES }, (_, i) => detail(i)), 'router'];
/** The `count` entries of LOG that end `fromEnd` entries before its newest. */
const newest = (count: number, fromEnd = 0): string[] => LOG.slice(LOG.length - fromEnd - count, LOG.length - fromEnd);

async function joinNode(org: string): Promise<RegistryClient> {
  const { joinString } = await t.admin.createInvitation({ organization: org });
  const { client, invitation, secret } = await RegistryClient.fromJoinString(joinString);
  await client.join({ invitation, secret, publicKey: wgPublicKey(), endpoints: ['192.0.2.10:51820'] });
  return client;
}

beforeAll(async () => {
  etcd = await startLocalEtcd();
  t = await startLocalRegistry({ etcd: [etcd.url] });
  await t.admin.createOrganization({ name: 'uni-a' });
  host = await joinNode('uni-a');
  other = await joinNode('uni-a');
  await t.admin.createExperiment({ name: 'long-log', owner: 'uni-a', durationSeconds: 3600 });
  await host.attachExperiment('long-log', 'router');
  // One entry a second over the last 42 minutes, sent in the node's batches of 100.
  const start = Date.now() - 3_000_000;
  for (let i = 0; i < ENTRIES; i += 100) {
    const batch = Array.from({ length: 100 }, (_, j) => ({ event: 'import.rejected.bogon', detail: detail(i + j), at: new Date(start + (i + j) * 1000).toISOString() }));
    await host.appendAuditLogBatch('long-log', batch);
  }
}, 120_000);

afterAll(async () => {
  host?.close();
  other?.close();
  await t?.close();
  await etcd?.close();
});

describe('audit log pages', () => {
  it('gives the newest entries oldest first, then older pages before a cursor', async () => {
    const page = await t.admin.auditLogPage('long-log');
    expect(details(page.entries)).toEqual(newest(100));
    expect(page.more).toBe(true);
    const seven = await t.admin.auditLogPage('long-log', { limit: 7 });
    expect(details(seven.entries)).toEqual(newest(7));
    const older = await t.admin.auditLogPage('long-log', { limit: 7, before: seven.first });
    expect(details(older.entries)).toEqual(newest(7, 7));
    const thousand = await t.admin.auditLogPage('long-log', { limit: 1000 });
    expect(details((await t.admin.auditLogPage('long-log', { limit: 10, before: thousand.first })).entries)).toEqual(newest(10, 1000));
    const first = await t.admin.auditLogPage('long-log', { limit: 1000, before: (await t.admin.auditLogPage('long-log', { limit: 1000, before: thousand.first })).first });
    expect(details(first.entries)).toEqual(LOG.slice(0, LOG.length - 2000));
    expect(first.more).toBe(false);
  });

  it('gives the entries after a cursor oldest first, and says when there are more', async () => {
    const ten = await t.admin.auditLogPage('long-log', { limit: 10 });
    const cursor = (await t.admin.auditLogPage('long-log', { limit: 1, before: ten.first })).last;
    const after = await t.admin.auditLogPage('long-log', { limit: 4, after: cursor });
    expect(details(after.entries)).toEqual(newest(4, 6));
    expect(after.more).toBe(true);
    const rest = await t.admin.auditLogPage('long-log', { after: after.last });
    expect(details(rest.entries)).toEqual(newest(6));
    expect(rest.more).toBe(false);
    expect(await t.admin.auditLogPage('long-log', { after: rest.last })).toEqual({ entries: [], first: '', last: '', more: false });

    // What a reader following the log sees next: an entry written after its last page.
    await host.appendAuditLog({ experiment: 'long-log', event: 'stopped', detail: 'later' });
    LOG.push('later');
    const next = await t.admin.auditLogPage('long-log', { after: rest.last });
    expect(details(next.entries)).toEqual(['later']);
  });

  it('reads the whole log in order, a thousand entries a page', async () => {
    const whole = await t.admin.listAuditLog('long-log');
    expect(details(whole)).toEqual(LOG);
    expect(details(await host.listAuditLog('long-log', { limit: 3 }))).toEqual(newest(3));
  });

  it('refuses bad pages with the field and what it takes, and readers that may not read the log', async () => {
    await expectRefusal(t.admin.auditLogPage('long-log', { limit: 1001 }), status.INVALID_ARGUMENT, /^limit: 1001 entries; 1..1000 a page \(0: 100\)/);
    await expectRefusal(t.admin.auditLogPage('long-log', { before: 'yesterday' }), status.INVALID_ARGUMENT, /^before: "yesterday" is not a cursor of an audit log \(pass back a page's first or last\)/);
    await expectRefusal(t.admin.auditLogPage('long-log', { after: '2026-01-01T00:00:00.000Z-0badcafe' }), status.INVALID_ARGUMENT, /^after: .* is not a cursor/);
    const { first, last } = await t.admin.auditLogPage('long-log', { limit: 2 });
    await expectRefusal(t.admin.auditLogPage('long-log', { before: first, after: last }), status.INVALID_ARGUMENT, /^before: give before or after, not both/);
    await expectRefusal(t.admin.auditLogPage('no-such-lab'), status.NOT_FOUND, /experiment "no-such-lab" does not exist/);
    await expectRefusal(other.auditLogPage('long-log'), status.PERMISSION_DENIED, /does not host experiment "long-log"/);
  });
});

describe('entries written before keys counted down', () => {
  it('are rekeyed by the next registry to start, once, and read in their place, batch order kept', async () => {
    await t.admin.createExperiment({ name: 'old-log', owner: 'uni-a', durationSeconds: 3600 });
    const keys = new KeyLayout();
    const etcdClient = connectEtcd([etcd.url]);
    let restarted: LocalRegistry | undefined;
    try {
      // An etcd that only registries from before have used: old keys, no marker.
      expect(await etcdClient.get(keys.auditsCountDown).exists()).toBe(true);
      await etcdClient.delete().key(keys.auditsCountDown);
      const prefix = keys.audit('old-log');
      const entry = (d: string, at: string) => JSON.stringify({ experiment: 'old-log', node: '', event: 'import.rejected.bogon', detail: d, at });
      const at1 = '2026-01-01T00:00:00.000Z';
      const at2 = '2026-01-01T00:00:01.500Z';
      await etcdClient.put(`${prefix}${at1}-0badcafe`).value(entry('first', at1));
      await etcdClient.put(`${prefix}${at2}-abcd0123.000`).value(entry('batch-0', at2));
      await etcdClient.put(`${prefix}${at2}-abcd0123.001`).value(entry('batch-1', at2));
      await host.appendAuditLog({ experiment: 'long-log', event: 'import.accepted', detail: 'new-style' });

      restarted = await startLocalRegistry({ etcd: [etcd.url], state: t.state });
      expect((await etcdClient.getAll().prefix(prefix).keys()).map((k) => k.slice(prefix.length))).toEqual([
        expect.stringMatching(/^\d{13}-abcd0123\.998$/), expect.stringMatching(/^\d{13}-abcd0123\.999$/), expect.stringMatching(/^\d{13}-0badcafe$/),
      ]);
      expect(details(await restarted.admin.listAuditLog('old-log'))).toEqual(['first', 'batch-0', 'batch-1']);
      expect(details(await restarted.admin.listAuditLog('old-log', { limit: 1 }))).toEqual(['batch-1']);
      expect(details(await t.admin.listAuditLog('long-log', { limit: 1 }))).toEqual(['new-style']);
      expect(await moveTimeFirstAuditKeys(new Store(etcdClient, keys))).toBe(0);
    } finally {
      await restarted?.close();
      etcdClient.close();
    }
  });
});
