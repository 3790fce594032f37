import { afterAll, beforeAll, expect, it } from 'vitest';
import { RegistryClient } from './client.js';
import { freePort } from '../common/free-port.js';
import type { WatchResponse } from './model.js';
import { startLocalEtcd, startLocalRegistry, wgPublicKey, type LocalRegistry } from './local-registry.js';

// Watch: snapshots, resume without gaps or repeats, several registry processes on one etcd, liveness.

let etcd: Awaited<ReturnType<typeof startLocalEtcd>>;
let a: LocalRegistry;
let b: LocalRegistry;

beforeAll(async () => {
  etcd = await startLocalEtcd();
  a = await startLocalRegistry({ etcd: [etcd.url] });
  // A second registry process serving the same etcd and mesh.
  b = await startLocalRegistry({ etcd: [etcd.url], state: a.state });
  await a.admin.createOrganization({ name: 'uni-a' });
});

afterAll(async () => {
  await b?.close();
  await a?.close();
  await etcd?.close();
});

/** Collects watch responses until `done` says so (bounded by a timeout). */
function collect(
  client: RegistryClient,
  from: number,
  done: (got: WatchResponse[]) => boolean,
  timeoutMs = 15_000,
): { responses: WatchResponse[]; finished: Promise<void>; cancel(): void } {
  const responses: WatchResponse[] = [];
  let cancel = (): void => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      w.cancel();
      reject(new Error(`watch did not finish in ${timeoutMs} ms (${responses.length} responses)`));
    }, timeoutMs);
    const w = client.watch(
      from,
      (r) => {
        responses.push(r);
        if (done(responses)) {
          clearTimeout(timer);
          w.cancel();
          resolve();
        }
      },
      (err) => {
        clearTimeout(timer);
        if (err && err.code !== 1) reject(err);
        else resolve();
      },
    );
    cancel = (): void => {
      clearTimeout(timer);
      w.cancel();
      resolve();
    };
  });
  return { responses, finished, cancel: () => cancel() };
}

const orgNames = (responses: WatchResponse[]): string[] =>
  responses.filter((r) => !r.snapshot).flatMap((r) => r.changes.filter((c) => c.kind === 'organization').map((c) => c.id));

it('starts with a snapshot, and a client that disconnects and resumes sees every change exactly once', async () => {
  const node = a.client(a.state.adminCredential);
  const first = collect(node, 0, (got) => orgNames(got).length >= 10);
  await new Promise((r) => setTimeout(r, 100));
  const names = Array.from({ length: 40 }, (_, i) => `burst-${i}`);
  const writer = (async () => {
    for (const name of names) await a.admin.createOrganization({ name });
  })();
  await first.finished;
  expect(first.responses[0]!.snapshot).toBe(true);
  expect(first.responses[0]!.changes.some((c) => c.kind === 'organization' && c.id === 'uni-a')).toBe(true);
  expect(first.responses[0]!.changes.some((c) => c.kind === 'mesh')).toBe(true);
  const last = first.responses[first.responses.length - 1]!.revision;

  // Resume from the last revision seen, while the writer is still going.
  const second = collect(node, last, (got) => orgNames([...first.responses, ...got]).filter((n) => n.startsWith('burst-')).length >= 40);
  await Promise.all([writer, second.finished]);
  expect(second.responses.every((r) => !r.snapshot)).toBe(true);
  const all = [...first.responses.slice(1), ...second.responses];
  const revisions = all.map((r) => r.revision);
  expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
  expect(new Set(revisions).size).toBe(revisions.length);
  expect(orgNames(all).filter((n) => n.startsWith('burst-'))).toEqual(names);
});

it('streams changes made through one registry process to watchers of another, without secrets', async () => {
  const start = (await b.admin.publicView()).revision;
  const watcher = collect(b.client(b.state.adminCredential), start, (got) => got.some((r) => r.changes.some((c) => c.kind === 'node')));
  const { joinString } = await a.admin.createInvitation({ organization: 'uni-a' });
  const j = await RegistryClient.fromJoinString(joinString);
  const res = await j.client.join({ invitation: j.invitation, secret: j.secret, publicKey: wgPublicKey(), name: 'via-a' });
  await watcher.finished;
  const batch = watcher.responses.find((r) => r.changes.some((c) => c.kind === 'node'))!;
  // One join is one etcd revision: the node, its allocations and authorizations arrive together.
  expect(batch.revision).toBe(res.revision);
  expect(batch.changes.find((c) => c.kind === 'node')?.node?.name).toBe('via-a');
  expect(batch.changes.filter((c) => c.kind === 'allocation')).toHaveLength(6);
  const text = JSON.stringify(watcher.responses);
  expect(text).not.toContain(res.credential.split('.')[2]);
  expect(text).not.toMatch(/secretHash|"hash"/);
  j.client.close();
});

it('refuses a watch without a credential', async () => {
  const w = collect(a.client(), 0, () => true, 5000);
  await expect(w.finished).rejects.toMatchObject({ code: 16 });
});

it('reports a node offline once it stops keeping its lease alive', async () => {
  const { joinString } = await a.admin.createInvitation({ organization: 'uni-a' });
  const j = await RegistryClient.fromJoinString(joinString);
  const res = await j.client.join({ invitation: j.invitation, secret: j.secret, publicKey: wgPublicKey() });
  const from = (await a.admin.publicView()).revision;
  const presence = (r: WatchResponse[], deleted: boolean): boolean =>
    r.some((x) => x.changes.some((c) => c.kind === 'presence' && c.id === res.node.name && c.deleted === deleted));
  const w = collect(b.client(res.credential), from, (got) => presence(got, true), 20_000);
  await j.client.keepAlive(5);
  await j.client.keepAlive(5);
  await w.finished;
  expect(presence(w.responses, false)).toBe(true);
  const view = await a.admin.publicView();
  expect(view.nodes.find((n) => n.node.name === res.node.name)?.online).toBe(false);
  j.client.close();
});

it('a follower resumes exactly where it was when its registry process restarts', async () => {
  // A third registry process on a fixed port, which we stop and start again.
  const port = await freePort();
  let c = await startLocalRegistry({ etcd: [etcd.url], state: a.state, port });
  const follower = new RegistryClient(c.address, { certPem: a.state.certPem, credential: a.state.adminCredential });
  const got: WatchResponse[] = [];
  const retries: number[] = [];
  const from = (await a.admin.publicView()).revision;
  const f = follower.follow(from, (r) => got.push(r), (_err, delay) => retries.push(delay));
  try {
    const names = Array.from({ length: 30 }, (_, i) => `restart-${i}`);
    await a.admin.createOrganization({ name: names[0]! });
    await waitUntil(() => orgNames(got).includes(names[0]!));
    await c.close();
    // Changes while the follower's registry is down, made through another process.
    for (const name of names.slice(1, 20)) await a.admin.createOrganization({ name });
    c = await startLocalRegistry({ etcd: [etcd.url], state: a.state, port });
    for (const name of names.slice(20)) await a.admin.createOrganization({ name });
    await waitUntil(() => orgNames(got).filter((n) => n.startsWith('restart-')).length >= names.length);
    expect(retries.length).toBeGreaterThan(0);
    expect(got.some((r) => r.snapshot)).toBe(false);
    expect(orgNames(got).filter((n) => n.startsWith('restart-'))).toEqual(names);
    const revisions = got.map((r) => r.revision);
    expect(new Set(revisions).size).toBe(revisions.length);
  } finally {
    f.cancel();
    follower.close();
    await c.close();
  }
});

async function waitUntil(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
