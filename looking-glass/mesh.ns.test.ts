/// <reference lib="dom" />
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PREFIX, isAlive, readDemoState, removeDemoLeftovers } from '../node/demo/leftovers.js';
import { CLI, ROOT } from '../node/demo/mesh-lab.js';
import { namespacesWithPrefix } from '../node/test-support/topology.js';
import { freePort } from '../common/free-port.js';

// The looking-glass page in Debian's real Chromium against the real demo
// mesh: `garagenet demo --garages 3` (namespaces, wireguard-go tunnels, the
// agents with their APIs and route daemons, the registry) run as a newcomer
// runs it, then Ctrl-C.

const SHOTS = join(ROOT, 'test-output', 'looking-glass-mesh');
const SUMMARY_END = 'removes everything';

interface MeshNode { name: string; asn: number; online: boolean; reporting: boolean; loopbacks: { production: string; experimental: string } }
interface MeshLink { a: string; b: string; state: string; knownFrom: string; latencyMs?: number; loss?: number; reportedBy: string[] }

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));


/** The state directory the demo made for a node (a temporary directory named after the demo's topology, holding node.json). */
function demoStateDir(node: string): string {
  const id = readDemoState()!.id;
  for (const dir of readdirSync(tmpdir()).filter((d) => d.startsWith(`${id}-g`))) {
    const identity = JSON.parse(readFileSync(join(tmpdir(), dir, 'node.json'), 'utf8')) as { node: { name: string } };
    if (identity.node.name === node) return join(tmpdir(), dir);
  }
  throw new Error(`no state directory for node ${node}`);
}

function exitOf(child: ChildProcess): Promise<number | string | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode);
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return Promise.race([exited, sleep(60_000).then(() => 'timeout')]);
}

let demo: ChildProcess | undefined;
const output = { stdout: '', stderr: '' };
let base: string;
let nodes: MeshNode[];
let context: BrowserContext | undefined;
let profile: string | undefined;
const outside: string[] = [];

/**
 * One API request as a script would make it: on 429 (the looking glass's
 * per-client limit, which this test shares with its pages) it waits the
 * Retry-After it was told and asks again, a bounded number of times.
 */
async function request(path: string): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${base}${path}`);
    if (res.status !== 429 || attempt === 10) return res;
    await res.arrayBuffer();
    await sleep(Number(res.headers.get('retry-after') ?? '1') * 1000);
  }
}

async function api<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

/** A page on the demo's looking glass once the map, the sessions and the experiments are drawn, and what it complained about. */
async function open(viewport: { width: number; height: number }): Promise<{ page: Page; problems: string[] }> {
  const problems: string[] = [];
  // The test's own requests share the page's rate limit (a burst of 60, 10 back a second): let it refill first.
  await request('/api/v1');
  await sleep(4000);
  const page = await context!.newPage();
  await page.setViewportSize(viewport);
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(base);
  await page.waitForSelector('svg.mesh-map g.node');
  await page.waitForSelector('#sessions-body tbody tr');
  await page.waitForSelector('article[data-experiment]');
  return { page, problems };
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'node', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  const previous = readDemoState();
  if (previous && isAlive(previous.pid)) throw new Error(`a demo is already running (pid ${previous.pid}); the test would remove it`);
  mkdirSync(SHOTS, { recursive: true });

  demo = spawn(process.execPath, [CLI, 'demo', '--garages', '3', '--port', String(await freePort())], { stdio: ['ignore', 'pipe', 'pipe'] });
  demo.stdout!.on('data', (d: Buffer) => (output.stdout += d.toString()));
  demo.stderr!.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const deadline = Date.now() + 150_000;
  while (!output.stdout.includes(SUMMARY_END) && demo.exitCode === null && Date.now() < deadline) await sleep(250);
  if (!output.stdout.includes(SUMMARY_END)) throw new Error(`the demo did not come up: ${output.stderr}`);
  base = /^looking glass: (\S+)$/m.exec(output.stdout)![1]!;

  // Every garage reports its sessions, and its agent a measured latency on every tunnel, before the page is judged (the looking glass polls every 2 s).
  const reportDeadline = Date.now() + 40_000;
  for (;;) {
    const mesh = await api<{ nodes: MeshNode[]; links: MeshLink[] }>('/api/v1/mesh');
    nodes = mesh.nodes;
    const measured = mesh.links.length === 3 && mesh.links.every((l) => l.latencyMs !== undefined && l.reportedBy.length === 2);
    if ((nodes.length > 0 && nodes.every((n) => n.reporting) && measured) || Date.now() > reportDeadline) break;
    await sleep(500);
  }

  profile = mkdtempSync(join(tmpdir(), 'lg-mesh-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // Nothing but the looking glass itself: any other request is recorded and refused.
  await context.route('**/*', (route) => {
    if (route.request().url().startsWith(`${base}/`)) return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
}, 240_000);

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (demo && demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
  await removeDemoLeftovers();
}, 120_000);

describe('the looking-glass page on the real demo mesh of three garages', () => {
  it('draws every garage online and a tunnel between each pair, with the latency the agents measured', async () => {
    expect(nodes).toHaveLength(3);
    const { page, problems } = await open({ width: 1280, height: 900 });
    const drawn = await page.locator('svg.mesh-map g.node').evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-node'), g.getAttribute('class')]));
    expect(drawn.map(([name]) => name).sort()).toEqual(nodes.map((n) => n.name).sort());
    for (const [, cls] of drawn) expect(cls).toContain('node-online');

    // Three garages in a full mesh: three tunnels, every one carrying established sessions.
    expect(await page.locator('svg.mesh-map g.link').count()).toBe(3);
    expect(await page.locator('svg.mesh-map g.link-up').count()).toBe(3);
    const { links } = await api<{ links: MeshLink[] }>('/api/v1/mesh');
    const pairs = links.map((l) => [l.a, l.b].sort().join(' ↔ ')).sort();
    const names = nodes.map((n) => n.name).sort();
    expect(pairs).toEqual([`${names[0]} ↔ ${names[1]}`, `${names[0]} ↔ ${names[2]}`, `${names[1]} ↔ ${names[2]}`]);
    // Both ends' agents report each tunnel (ListTunnels): latency from their probes, loss from the same window.
    for (const link of links) {
      expect(link.knownFrom).toBe('tunnels');
      expect(link.state).toBe('up');
      expect(link.reportedBy.sort()).toEqual([link.a, link.b].sort());
      expect(link.latencyMs).toBeGreaterThan(0);
      expect(link.latencyMs).toBeLessThan(1000);
      expect(link.loss).toBeGreaterThanOrEqual(0);
      expect(link.loss).toBeLessThan(0.5);
    }
    const labels = await page.locator('svg.mesh-map .link-label').allTextContents();
    expect(labels).toHaveLength(3);
    for (const label of labels) expect(label).toMatch(/^\d+(\.\d+)? ms/);
    expect(await page.locator('#summary').innerText()).toMatch(/3\/3\s+garages online/);
    await page.locator('#map').screenshot({ path: join(SHOTS, 'map.png') });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows established sessions in both planes at every garage', async () => {
    const { page } = await open({ width: 1280, height: 900 });
    for (const node of nodes) {
      const others = nodes.filter((n) => n.name !== node.name);
      await page.selectOption('#session-node', node.name);
      for (const plane of ['production', 'experimental']) {
        await page.click(`.tab[data-plane="${plane}"]`);
        await expect.poll(() => page.locator('#sessions-body tbody').innerText(), { timeout: 10_000 }).toContain(`${others[1]!.name}.${plane}`);
        const rows = await page.locator('#sessions-body tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).innerText));
        for (const other of others) {
          const row = rows.find((r) => r.includes(`${other.name}.${plane}`));
          expect(row, `${node.name} → ${other.name} (${plane})`).toMatch(/established/);
          expect(row).toContain(String(other.asn));
        }
      }
    }
    await page.locator('#sessions').screenshot({ path: join(SHOTS, 'sessions.png') });
    await page.close();
  });

  it('looks up another garage\'s loopback: a best route with that garage\'s AS path', async () => {
    const [from, to] = nodes;
    const { page } = await open({ width: 1280, height: 900 });
    await page.fill('#lookup-target', to!.loopbacks.production);
    await page.selectOption('#lookup-node', from!.name);
    await page.selectOption('#lookup-plane', 'production');
    await page.click('#lookup-form button');
    await page.waitForSelector('#lookup-body table.routes');
    const best = await page.locator('#lookup-body tr.best').first().innerText();
    expect(best).toContain(`AS${to!.asn}`);
    expect(best).toContain(to!.name);
    await page.locator('#lookup').screenshot({ path: join(SHOTS, 'lookup.png') });
    await page.close();
  });

  it('pings another garage\'s loopback from a chosen node through the page, and refuses an address outside the pools with 400', async () => {
    const [from, to] = nodes;
    const { page, problems } = await open({ width: 1280, height: 900 });
    await page.selectOption('#probe-node', from!.name);
    await page.selectOption('#probe-plane', 'production');
    await page.fill('#probe-target', to!.loopbacks.production);
    await page.selectOption('#probe-kind', 'ping');
    await page.click('#probe-form button');
    await expect.poll(() => page.locator('#probe-body').innerText(), { timeout: 15_000 }).toMatch(/^[1-5]\/5 replies · rtt /);
    await page.locator('#probe').screenshot({ path: join(SHOTS, 'ping.png') });

    const answer = await api<{ result: { sent: number; received: number; rttMs: number[] } }>(`/api/v1/ping?${new URLSearchParams({ node: to!.name, plane: 'production', target: from!.loopbacks.production })}`);
    expect(answer.result.sent).toBe(5);
    expect(answer.result.received).toBeGreaterThan(0);
    expect(answer.result.rttMs).toHaveLength(answer.result.received);

    // A garage's underlay address (in the demo's summary) is outside every pool of the mesh.
    const outside = new RegExp(`^\\s+${to!.name}\\s+AS\\d+\\s+(\\S+)`, 'm').exec(output.stdout)![1]!;
    const refused = await request(`/api/v1/ping?${new URLSearchParams({ node: from!.name, plane: 'production', target: outside })}`);
    expect(refused.status).toBe(400);
    const body = await refused.json() as { error: { field: string; message: string } };
    expect(body.error.field).toBe('target');
    expect(body.error.message).toMatch(/is not a production address of this mesh/);
    await page.fill('#probe-target', outside);
    await page.click('#probe-form button');
    await expect.poll(() => page.locator('#probe-body').innerText()).toMatch(/not a production address of this mesh/);
    await page.locator('#probe').screenshot({ path: join(SHOTS, 'ping-refused.png') });
    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
    await page.close();
  });

  it('shows every garage\'s kernel tables agreeing with its route daemon, in both planes', async () => {
    for (const node of nodes) {
      for (const plane of ['production', 'experimental']) {
        const cmp = await api<{ agrees: boolean; ribRoutes: number; fibRoutes: number; counts: Record<string, number> }>(`/api/v1/nodes/${node.name}/rib-fib?plane=${plane}`);
        expect(cmp, `${node.name} ${plane}`).toMatchObject({ agrees: true, counts: { missingFromFib: 0, extraInFib: 0, nextHopMismatch: 0 } });
        // The other garages' loopbacks and spaces at least.
        expect(cmp.ribRoutes).toBeGreaterThanOrEqual(2);
        expect(cmp.fibRoutes).toBe(cmp.ribRoutes);
      }
    }
    const { page } = await open({ width: 1280, height: 900 });
    await page.selectOption('#session-node', nodes[1]!.name);
    await expect.poll(() => page.locator('#ribfib-body').innerText(), { timeout: 10_000 }).toMatch(/^agrees \d+ best routes, \d+ kernel routes/);
    await page.locator('#sessions').screenshot({ path: join(SHOTS, 'rib-fib.png') });
    await page.close();
  });

  it('shows a route change at the other garages after one garage withdraws and announces its space again', async () => {
    const [origin, watcher] = nodes;
    const { allocations } = await api<{ allocations: { prefix: string; plane: string; purpose: string; holder: { name: string } }[] }>('/api/v1/members');
    const space = allocations.find((a) => a.holder.name === origin!.name && a.purpose === 'garage' && a.plane === 'production' && !a.prefix.includes(':'))!.prefix;
    const socket = `unix:${demoStateDir(origin!.name)}/routed.sock`;
    const started = new Date().toISOString();
    for (const verb of ['withdraw', 'announce']) {
      const result = spawnSync(process.execPath, [CLI, 'bgp', '--socket', socket, verb, space, '--plane', 'production'], { encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      await sleep(500);
    }
    const seen = async (): Promise<string[]> => {
      const { changes } = await api<{ changes: { time: string; kind: string; prefix: string; neighbor: string }[] }>(`/api/v1/changes?node=${watcher!.name}&plane=production`);
      return changes.filter((c) => c.prefix === space && c.time >= started).map((c) => c.kind);
    };
    // Newest first: the route back (perhaps after a moment on the path through the third garage), after its withdrawal.
    await expect.poll(async () => { const kinds = await seen(); return kinds[0] === 'announce' && kinds.includes('withdraw'); }, { timeout: 15_000 }).toBe(true);
    const { page } = await open({ width: 1280, height: 900 });
    await expect.poll(() => page.locator('#changes-body').innerText(), { timeout: 25_000 }).toContain(space);
    const rows = await page.locator('#changes-body tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).innerText));
    expect(rows.some((r) => r.includes(space) && r.includes('announce') && r.includes(`AS${origin!.asn}`))).toBe(true);
    expect(rows.some((r) => r.includes(space) && r.includes('withdraw'))).toBe(true);
    await page.locator('#changes').screenshot({ path: join(SHOTS, 'changes.png') });
    await page.close();
  });

  it('shows the demo\'s experiment as active at the first garage, and fits a desktop and a phone screen', async () => {
    const { page, problems } = await open({ width: 1280, height: 900 });
    const { experiments } = await api<{ experiments: { name: string; asn: number; allocations: string[]; attachedAt: string[] }[] }>('/api/v1/experiments');
    expect(experiments.map((e) => e.name)).toEqual(['demo-experiment']);
    const [registered] = experiments;
    const experiment = await page.locator('article[data-experiment="demo-experiment"]').innerText();
    expect(experiment).toContain('active');
    expect(experiment).toContain(String(registered!.asn));
    expect(registered!.allocations.length).toBeGreaterThan(0);
    for (const prefix of registered!.allocations) expect(experiment).toContain(prefix);
    expect(registered!.attachedAt).toHaveLength(1);
    expect(nodes.map((n) => n.name)).toContain(registered!.attachedAt[0]);
    expect(experiment).toContain(registered!.attachedAt[0]);
    await page.locator('#map').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'desktop-top.png') });
    await page.screenshot({ path: join(SHOTS, 'desktop.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();

    const phone = await open({ width: 390, height: 844 });
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.page.screenshot({ path: join(SHOTS, 'phone.png'), fullPage: true });
    await phone.page.close();
    expect(outside).toEqual([]);
  });

  it('shows the kill switch in the experiment\'s audit log, which it reads from the registry with its viewer credential', async () => {
    // The demo's own printed command: the hosting garage stops the experiment, and its agent logs it.
    const stop = output.stdout.split('\n').map((l) => l.trim()).find((l) => l.includes(' experiment stop demo-experiment '));
    expect(stop, output.stdout).toBeDefined();
    const stopped = spawnSync('sh', ['-c', stop!], { encoding: 'utf8', timeout: 60_000 });
    expect(stopped.status, stopped.stderr).toBe(0);
    type Audit = { kind: string; node: string; time: string }[];
    let audit: Audit = [];
    for (const deadline = Date.now() + 30_000; !audit.some((a) => a.kind === 'kill-switch') && Date.now() < deadline; await sleep(500)) {
      audit = (await api<{ audit: Audit }>('/api/v1/experiments/demo-experiment')).audit;
    }
    const host = nodes.find((n) => audit.some((a) => a.node === n.name));
    expect(audit.filter((a) => a.kind === 'kill-switch').map((a) => a.node)).toEqual([host?.name]);
    const { page, problems } = await open({ width: 1280, height: 900 });
    const experiment = page.locator('article[data-experiment="demo-experiment"]');
    await experiment.locator('details summary').click();
    const text = await experiment.innerText();
    expect(text).toContain(`audit log (${audit.length})`);
    expect(text).toContain('kill-switch');
    await experiment.screenshot({ path: join(SHOTS, 'experiment-audit.png') });
    expect(problems).toEqual([]);
    await page.close();

    // The credential it reads with: a viewer's, in a file of mode 0600, and in none of its answers.
    const id = readDemoState()!.id;
    const file = join(tmpdir(), readdirSync(tmpdir()).find((d) => d.startsWith(`${id}-registry-`))!, 'looking-glass.credential');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const credential = readFileSync(file, 'utf8').trim();
    expect(credential).toMatch(/^gnviewer\.looking-glass\./);
    const secret = credential.split('.').at(-1)!;
    for (const path of ['/api/v1', '/api/v1/mesh', '/api/v1/members', '/api/v1/experiments', '/api/v1/changes', '/metrics']) {
      expect(await (await request(path)).text()).not.toContain(secret);
    }
  });

  it('Ctrl-C stops the demo and leaves no namespace with its prefix', async () => {
    expect(await namespacesWithPrefix(DEMO_PREFIX)).not.toEqual([]);
    demo!.kill('SIGINT');
    expect(await exitOf(demo!)).toBe(0);
    expect(await namespacesWithPrefix(DEMO_PREFIX)).toEqual([]);
  });
});
