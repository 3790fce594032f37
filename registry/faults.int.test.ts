import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, expect, it } from 'vitest';
import { RegistryClient } from './client.js';
import { EtcdMember } from './etcd-process.js';
import { freePort } from '../common/free-port.js';
import type { WatchResponse } from './model.js';
import { startLocalEtcd, startLocalRegistry, wgPublicKey } from './local-registry.js';
import { expectRefusal } from './test-support/harness.js';
import { waitFor } from '../common/test-support/eventually.js';

// etcd faults: a member of a three-member cluster dies; the only etcd stops and comes back.

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function leaderIndex(members: EtcdMember[]): Promise<number> {
  const statuses = await Promise.all(
    members.map(async (m) => (await (await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}' })).json()) as {
      header: { member_id: string }; leader: string;
    }),
  );
  return statuses.findIndex((s) => s.header.member_id === s.leader);
}

function watchInto(client: RegistryClient, from: number, sink: WatchResponse[]): void {
  const w = client.watch(from, (r) => sink.push(r), () => undefined);
  cleanups.push(async () => w.cancel());
}

const orgSeen = (sink: WatchResponse[], name: string): boolean =>
  sink.some((r) => r.changes.some((c) => c.kind === 'organization' && c.id === name));

it('keeps serving after the leader of a three-member etcd cluster is killed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gn-etcd3-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const ports = await Promise.all(Array.from({ length: 6 }, () => freePort()));
  const names = ['m0', 'm1', 'm2'];
  const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i * 2 + 1]}`).join(',');
  const members = names.map(
    (name, i) => new EtcdMember({ name, dataDir: join(dir, name), clientPort: ports[i * 2]!, peerPort: ports[i * 2 + 1]!, initialCluster }),
  );
  cleanups.push(async () => void (await Promise.all(members.map((m) => m.stop()))));
  await Promise.all(members.map((m) => m.start({ waitHealthy: false })));
  await Promise.all(members.map((m) => m.waitHealthy(20_000)));

  const t = await startLocalRegistry({ etcd: members.map((m) => m.clientUrl) });
  cleanups.push(() => t.close());
  await t.admin.createOrganization({ name: 'before' });
  const sink: WatchResponse[] = [];
  watchInto(t.client(t.state.adminCredential), (await t.admin.publicView()).revision, sink);

  const leader = await leaderIndex(members);
  expect(leader).toBeGreaterThanOrEqual(0);
  await members[leader]!.kill();

  await waitFor('organization "after" to be created', () => t.admin.createOrganization({ name: 'after' }), { timeoutMs: 20_000, intervalMs: 250 });
  const { joinString } = await t.admin.createInvitation({ organization: 'after' });
  const j = await RegistryClient.fromJoinString(joinString);
  const res = await j.client.join({ invitation: j.invitation, secret: j.secret, publicKey: wgPublicKey() });
  j.client.close();
  expect(res.node.organization).toBe('after');
  const view = await t.admin.publicView();
  expect(view.organizations.map((o) => o.name).sort()).toEqual(['after', 'before']);
  // The registry's one etcd watch moved to a surviving member and still delivers.
  await waitFor('the watch to see organization "after"', () => orgSeen(sink, 'after'), { timeoutMs: 20_000, intervalMs: 100 });
});

it('answers UNAVAILABLE while etcd is down, stays up, and recovers when etcd returns', async () => {
  const etcd = await startLocalEtcd();
  cleanups.push(() => etcd.close());
  const t = await startLocalRegistry({ etcd: [etcd.url] });
  cleanups.push(() => t.close());
  await t.admin.createOrganization({ name: 'uni-a' });
  const sink: WatchResponse[] = [];
  watchInto(t.client(t.state.adminCredential), (await t.admin.publicView()).revision, sink);
  // The stream is established (its credential checked against etcd) before etcd goes away.
  await t.admin.createOrganization({ name: 'pre' });
  await waitFor('the watch to see organization "pre"', () => orgSeen(sink, 'pre'), { timeoutMs: 10_000, intervalMs: 100 });

  await etcd.member.stop();
  await expectRefusal(t.admin.publicView(), status.UNAVAILABLE, /store \(etcd\) is unreachable/);
  await expectRefusal(t.admin.createOrganization({ name: 'during' }), status.UNAVAILABLE, /etcd/);

  await etcd.member.start();
  await waitFor('organization "back" to be created', () => t.admin.createOrganization({ name: 'back' }), { timeoutMs: 30_000, intervalMs: 250 });
  const view = await t.admin.publicView();
  expect(view.organizations.map((o) => o.name).sort()).toEqual(['back', 'pre', 'uni-a']);
  // The watch opened before the outage resumes by itself.
  await waitFor('the watch to see organization "back"', () => orgSeen(sink, 'back'), { timeoutMs: 30_000, intervalMs: 100 });
});

/** Pids of the etcd processes this test process started whose data directory is under `dir`. */
function etcdChildrenUnder(dir: string): number[] {
  const children = readdirSync('/proc/self/task').flatMap((task) => {
    try {
      return readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
  return children.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => arg.startsWith(dir));
    } catch {
      return false;
    }
  });
}

it('restarts its managed etcd when it dies, and serves again', async () => {
  const t = await startLocalRegistry();
  cleanups.push(() => t.close());
  await t.admin.createOrganization({ name: 'uni-a' });
  const [pid] = etcdChildrenUnder(t.state.dir);
  expect(pid).toBeGreaterThan(0);
  process.kill(pid!, 'SIGKILL');
  await waitFor('the registry to restart etcd', () => {
    const [again] = etcdChildrenUnder(t.state.dir);
    return again !== undefined && again !== pid;
  }, { timeoutMs: 15_000 });
  await waitFor('organization "after-crash" to be created', () => t.admin.createOrganization({ name: 'after-crash' }), { timeoutMs: 20_000, intervalMs: 250 });
  const names = (await t.admin.listOrganizations()).map((o) => o.name).sort();
  expect(names).toEqual(['after-crash', 'uni-a']);
});
