/// <reference lib="dom" />
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PREFIX, isAlive, readDemoState, removeDemoLeftovers } from '../node/demo/leftovers.js';
import { CLI, ROOT } from '../node/demo/mesh-lab.js';
import { namespacesWithPrefix } from '../node/test-support/topology.js';

// The looking-glass page in Debian's real Chromium against the real demo
// mesh: `garagenet demo --garages 3` (namespaces, wireguard-go tunnels, the
// agents' route daemons, the registry) run as a newcomer runs it, then Ctrl-C.

const SHOTS = join(ROOT, 'test-output', 'looking-glass-mesh');
const SUMMARY_END = 'removes everything';

interface MeshNode { name: string; asn: number; online: boolean; reporting: boolean; loopbacks: { production: string; experimental: string } }
interface MeshLink { a: string; b: string; state: string; knownFrom: string; latencyMs?: number }

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
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

/** A page on the demo's looking glass once the map, the sessions and the experiments are drawn, and what it complained about. */
async function open(viewport: { width: number; height: number }): Promise<{ page: Page; problems: string[] }> {
  const problems: string[] = [];
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

  // Every garage reports its sessions before the page is judged (the looking glass polls every 2 s).
  const reportDeadline = Date.now() + 30_000;
  for (;;) {
    const mesh = (await (await fetch(`${base}/api/v1/mesh`)).json()) as { nodes: MeshNode[] };
    nodes = mesh.nodes;
    if ((nodes.length > 0 && nodes.every((n) => n.reporting)) || Date.now() > reportDeadline) break;
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
  it('draws every garage online and a tunnel between each pair, known from their BGP sessions', async () => {
    expect(nodes).toHaveLength(3);
    const { page, problems } = await open({ width: 1280, height: 900 });
    const drawn = await page.locator('svg.mesh-map g.node').evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-node'), g.getAttribute('class')]));
    expect(drawn.map(([name]) => name).sort()).toEqual(nodes.map((n) => n.name).sort());
    for (const [, cls] of drawn) expect(cls).toContain('node-online');

    // Three garages in a full mesh: three tunnels, every one carrying established sessions.
    expect(await page.locator('svg.mesh-map g.link').count()).toBe(3);
    expect(await page.locator('svg.mesh-map g.link-up').count()).toBe(3);
    const { links } = (await (await fetch(`${base}/api/v1/mesh`)).json()) as { links: MeshLink[] };
    const pairs = links.map((l) => [l.a, l.b].sort().join(' ↔ ')).sort();
    const names = nodes.map((n) => n.name).sort();
    expect(pairs).toEqual([`${names[0]} ↔ ${names[1]}`, `${names[0]} ↔ ${names[2]}`, `${names[1]} ↔ ${names[2]}`]);
    // The agents report no tunnel health to the looking glass: no latency is made up.
    for (const link of links) {
      expect(link.knownFrom).toBe('sessions');
      expect(link.latencyMs).toBeUndefined();
    }
    expect(await page.locator('svg.mesh-map .link-label').first().textContent()).toBe('BGP up');
    expect(await page.locator('#summary').innerText()).toMatch(/3\/3\s+garages online/);
    await page.locator('#map').screenshot({ path: join(SHOTS, 'map.png') });
    expect(problems.filter((p) => !/status of 50[13]/.test(p))).toEqual([]);
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

  it('shows the demo\'s experiment as active at the first garage, and fits a desktop and a phone screen', async () => {
    const { page, problems } = await open({ width: 1280, height: 900 });
    const { experiments } = (await (await fetch(`${base}/api/v1/experiments`)).json()) as { experiments: { name: string; asn: number; allocations: string[]; attachedAt: string[] }[] };
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
    // The route daemons keep no change log: the page says so instead of showing a quiet mesh.
    await expect.poll(() => page.locator('#changes-body').innerText()).toMatch(/^no route-change log from /);
    for (const n of nodes) expect(await page.locator('#changes-body').innerText()).toContain(n.name);
    await page.locator('#map').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'desktop-top.png') });
    await page.screenshot({ path: join(SHOTS, 'desktop.png'), fullPage: true });
    expect(problems.filter((p) => !/status of 50[13]/.test(p))).toEqual([]);
    await page.close();

    const phone = await open({ width: 390, height: 844 });
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.page.screenshot({ path: join(SHOTS, 'phone.png'), fullPage: true });
    await phone.page.close();
    expect(outside).toEqual([]);
  });

  it('Ctrl-C stops the demo and leaves no namespace with its prefix', async () => {
    expect(await namespacesWithPrefix(DEMO_PREFIX)).not.toEqual([]);
    demo!.kill('SIGINT');
    expect(await exitOf(demo!)).toBe(0);
    expect(await namespacesWithPrefix(DEMO_PREFIX)).toEqual([]);
  });
});
