import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RegistryClient } from '../client.js';
import { parseCredential } from '../credentials.js';
import { freePort } from '../../common/free-port.js';
import { startLocalEtcd, wgPublicKey, type LocalEtcd } from '../local-registry.js';
import { runRegistry, type RunningRegistry } from '../serve.js';
import { loadState } from '../state.js';
import { registryCommand } from './index.js';
import { runCli, type CliResult } from '../../common/test-support/run-cli.js';

// The `garagenet registry` verbs, run in-process against a real registry and etcd.

let dir: string;
let etcd: LocalEtcd;
let running: RunningRegistry | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gn-cli-'));
  etcd = await startLocalEtcd();
});

afterAll(async () => {
  await running?.close();
  await etcd?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs one command line; returns what it printed and its exit code. */
function run(...args: string[]): Promise<CliResult> {
  return runCli(new Command('garagenet').exitOverride().addCommand(registryCommand()), ['registry', '--state', join(dir, 'state'), ...args]);
}

it('initializes a mesh, refusing overlapping pools without leaving files behind', async () => {
  const bad = await run('--state', join(dir, 'bad'), 'init', '--name', 'm', '--experimental-v4', '10.64.0.0/16');
  expect(bad.code).toBe(1);
  expect(bad.err).toMatch(/^garagenet: pools productionV4 \(10\.64\.0\.0\/11\) and experimentalV4 \(10\.64\.0\.0\/16\) overlap/);
  expect(existsSync(join(dir, 'bad', 'registry.json'))).toBe(false);

  const port = await freePort();
  const ok = await run('init', '--name', 'clitest', '--address', `127.0.0.1:${port}`, '--json');
  expect(ok.code).toBe(0);
  const result = JSON.parse(ok.out) as { mesh: { name: string; productionV4: string }; pin: string };
  expect(result.mesh).toMatchObject({ name: 'clitest', productionV4: '10.64.0.0/11' });
  expect(result.pin).toMatch(/^sha256:/);
  const again = await run('init', '--name', 'clitest');
  expect(again.err).toMatch(/already holds a registry/);

  const state = loadState(join(dir, 'state'));
  running = await runRegistry(state, { listen: state.address, etcd: [etcd.url] });
});

it('administers the mesh with every read verb available as JSON', async () => {
  expect((await run('org', 'add', 'uni-a', '--description', 'University A')).out).toBe('organization uni-a added\n');
  const orgs = JSON.parse((await run('org', 'list', '--json')).out) as { name: string }[];
  expect(orgs.map((o) => o.name)).toEqual(['uni-a']);

  const missing = await run('invite', '--org', 'nope');
  expect(missing.code).toBe(1);
  expect(missing.err).toMatch(/^garagenet: organization "nope" does not exist/);
  expect((await run('invite', '--org', 'uni-a', '--expires', '1w')).err).toMatch(/--expires "1w" is not a duration/);

  const invite = await run('invite', '--org', 'uni-a', '--expires', '2h');
  const joinString = invite.out.trim();
  expect(joinString).toMatch(/^gnjoin1\./);
  const j = await RegistryClient.fromJoinString(joinString);
  await j.client.join({ invitation: j.invitation, secret: j.secret, publicKey: wgPublicKey(), name: 'lab-1' });
  j.client.close();

  const nodes = JSON.parse((await run('nodes', '--json')).out) as { node: { name: string }; online: boolean }[];
  expect(nodes.map((n) => [n.node.name, n.online])).toEqual([['lab-1', false]]);
  expect((await run('nodes')).out).toMatch(/^NAME\s+ORG\s+ASN/);
  const allocations = JSON.parse((await run('allocations', '--json')).out) as { holder: string }[];
  expect(allocations.filter((a) => a.holder === 'lab-1')).toHaveLength(6);
  const invitations = JSON.parse((await run('invitations', '--json')).out) as { usedBy: string }[];
  expect(invitations.map((i) => i.usedBy)).toEqual(['lab-1']);

  const exp = JSON.parse((await run('experiment', 'create', '--name', 'e1', '--owner', 'uni-a', '--node', 'lab-1', '--max-prefixes', '3', '--prefix-len', '26', '--json')).out) as {
    asn: number; prefixes: string[]; maxPrefixes: number; maxUpdatesPerMinute: number;
  };
  expect(exp.maxPrefixes).toBe(3);
  expect(exp.maxUpdatesPerMinute).toBe(60);
  expect(exp.prefixes[0]).toMatch(/\/26$/);
  expect(exp.prefixes[1]).toMatch(/\/64$/);
  expect((await run('experiment', 'create', '--name', 'e2', '--owner', 'uni-a', '--max-prefixes', 'many')).err).toMatch(/--max-prefixes "many"/);
  expect((await run('experiment', 'create', '--name', 'e2', '--owner', 'uni-a', '--prefix-len', '22')).err).toMatch(/prefix_length/);
  expect((await run('experiment', 'create', '--name', 'e2', '--owner', 'uni-a', '--max-mbits', '5000')).err).toBe(
    'garagenet: --max-mbits 5000 is outside 1..1000 Mbit/s (the default is 10)\n',
  );
  expect((await run('experiment', 'create', '--name', 'e3', '--owner', 'uni-a', '--max-mbits', '2')).out).toMatch(/^experiment e3: AS\d+, \S+ \S+, at most 2 Mbit\/s, until /);
  const auths = JSON.parse((await run('authorizations', '--json')).out) as { holder: string; originAsn: number }[];
  expect(auths.filter((a) => a.holder === 'e1').map((a) => a.originAsn)).toEqual([exp.asn, exp.asn]);
  expect((await run('experiment', 'stop', 'e1')).out).toBe('experiment e1 stopped\n');
  const experiments = JSON.parse((await run('experiments', '--json')).out) as { name: string; state: string; maxMbits: number }[];
  expect(experiments.map((e) => [e.name, e.state, e.maxMbits])).toEqual([['e1', 'stopped', 10], ['e3', 'active', 2]]);
  expect((await run('experiments')).out).toMatch(/3 prefixes, 60 updates\/min, 10 Mbit\/s\n.*100 prefixes, 60 updates\/min, 2 Mbit\/s\n/);
  expect(JSON.parse((await run('experiment', 'log', 'e1', '--json')).out)).toEqual([expect.objectContaining({ node: '', event: 'state.stopped', detail: 'set by the administrator' })]);
  expect((await run('experiment', 'log', 'e1', '--limit', '1')).out).toMatch(/^AT +NODE +EVENT +DETAIL\n\S+ +- +state\.stopped +set by the administrator\n$/);
  expect((await run('experiment', 'log', 'e1', '--limit', '1001')).err).toBe('garagenet: --limit 1001 is more than 1000 (leave --limit out for the whole log)\n');
  expect((await run('experiment', 'log', 'e1', '--limit', 'few')).err).toMatch(/--limit "few" is not a positive whole number/);
  expect((JSON.parse((await run('mesh', '--json')).out) as { name: string }).name).toBe('clitest');
  const added = await run('authorization', 'add', '10.96.250.0/24', '--origin', 'AS4200000001', '--plane', 'experimental');
  expect(added.out).toBe('authorized 10.96.250.0/24 le 24 from AS4200000001 in experimental\n');
  expect((await run('node', 'remove', 'lab-1')).out).toMatch(/^node lab-1 removed; released (\S+ ){5}\S+\n$/);
  expect(JSON.parse((await run('nodes', '--json')).out)).toEqual([]);
  const again = await run('node', 'remove', 'lab-1');
  expect([again.code, again.err]).toEqual([1, 'garagenet: node "lab-1" does not exist\n']);
});

it('adds, lists and removes viewer credentials, writing one only to a new file of mode 0600', async () => {
  const file = join(dir, 'lg.credential');
  const added = await run('viewer', 'add', 'lg', '--out', file);
  expect([added.code, added.out]).toEqual([0, `viewer lg added; credential written to ${file}\n`]);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const credential = readFileSync(file, 'utf8').trim();
  expect(parseCredential(credential)).toMatchObject({ kind: 'viewer', viewer: 'lg' });
  const state = loadState(join(dir, 'state'));
  const viewer = new RegistryClient(state.address, { certPem: state.certPem, credential });
  try {
    expect((await viewer.publicView()).mesh.name).toBe('clitest');

    // An existing file is never overwritten, and then no viewer is made.
    writeFileSync(file.replace('lg', 'kept'), 'mine\n');
    const refused = await run('viewer', 'add', 'lg2', '--out', file.replace('lg', 'kept'));
    expect(refused).toMatchObject({ code: 1, err: `garagenet: cannot create ${file.replace('lg', 'kept')}: it already exists (remove it or choose another --out; a credential is never overwritten)\n` });
    expect(readFileSync(file.replace('lg', 'kept'), 'utf8')).toBe('mine\n');
    // A refused name leaves no file behind.
    const bad = await run('viewer', 'add', 'Bad_Name', '--out', join(dir, 'bad.credential'));
    expect(bad.err).toMatch(/^garagenet: name: "Bad_Name" is not a valid name/);
    expect(existsSync(join(dir, 'bad.credential'))).toBe(false);

    const printed = await run('viewer', 'add', 'ops', '--json');
    const json = JSON.parse(printed.out) as { viewer: { name: string }; credential: string };
    expect(json.viewer.name).toBe('ops');
    expect(parseCredential(json.credential)).toMatchObject({ kind: 'viewer', viewer: 'ops' });
    const listed = JSON.parse((await run('viewer', 'list', '--json')).out) as { name: string; createdAt: string }[];
    expect(listed.map((v) => v.name)).toEqual(['lg', 'ops']);
    expect((await run('viewer', 'list')).out).toMatch(/^NAME\s+CREATED\nlg\s+\d{4}-/);
    expect((await run('viewer', 'remove', 'lg')).out).toBe('viewer lg removed\n');
    await expect(viewer.publicView()).rejects.toThrow(/viewer credential for "lg" is not valid/);
    expect(await run('viewer', 'remove', 'lg')).toMatchObject({ code: 1, err: 'garagenet: viewer "lg" does not exist\n' });
  } finally {
    viewer.close();
  }
});
