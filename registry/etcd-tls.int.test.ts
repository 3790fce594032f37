import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { EtcdMember } from './etcd-process.js';
import { freePort } from '../common/free-port.js';
import { startLocalRegistry } from './local-registry.js';
import { createSelfSignedCert } from './tls.js';

// A registry on an etcd that speaks TLS and demands a client certificate, as a real cluster would.

const dir = mkdtempSync(join(tmpdir(), 'gn-etcd-tls-'));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

it('serves from an etcd reached over TLS with a client certificate', async () => {
  const server = { keyFile: join(dir, 'etcd.key'), certFile: join(dir, 'etcd.crt') };
  const client = { keyFile: join(dir, 'registry.key'), certFile: join(dir, 'registry.crt') };
  await createSelfSignedCert(server, { hosts: ['127.0.0.1'], commonName: 'etcd' });
  await createSelfSignedCert(client, { hosts: ['localhost'], commonName: 'registry' });
  const member = new EtcdMember({
    name: 'tls', dataDir: join(dir, 'data'), clientPort: await freePort(), peerPort: await freePort(),
    tls: { ...server, clientCaFile: client.certFile },
  });
  cleanups.push(() => member.stop());
  await member.start();
  expect(member.clientUrl).toMatch(/^https:/);

  const t = await startLocalRegistry({ etcd: [member.clientUrl], etcdTls: { caFile: server.certFile, ...client } });
  cleanups.push(() => t.close());
  await t.admin.createOrganization({ name: 'over-tls' });
  expect((await t.admin.listOrganizations()).map((o) => o.name)).toEqual(['over-tls']);
});
