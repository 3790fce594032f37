/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLookingGlass, type LookingGlass } from './server/server.js';
import { startRealComponents } from './test-support/real-components.js';
import { buildSampleMesh, MESH_COMMUNITIES, MESH_LARGE_COMMUNITIES } from './sources/in-process/sample-mesh.js';

// The page in Debian's real Chromium: against the six-garage in-process mesh
// (every feature, including what the real components do not offer yet), and
// against a real registry and a real route daemon control API.

const SHOTS = join(process.cwd(), 'test-output', 'looking-glass');
let lg: LookingGlass;
let base: string;
let context: BrowserContext;
let profile: string;
const outside: string[] = [];

/** A page on a looking glass, and the console errors and script errors it shows. */
async function open(viewport: { width: number; height: number }, url = base): Promise<{ page: Page; problems: string[] }> {
  const problems: string[] = [];
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector('svg.mesh-map g.node');
  await page.waitForSelector('#sessions-body tbody tr');
  await page.waitForSelector('article[data-experiment]');
  return { page, problems };
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  lg = createLookingGlass({ source: buildSampleMesh(), communities: { communities: MESH_COMMUNITIES, largeCommunities: MESH_LARGE_COMMUNITIES } });
  base = await lg.listen({ port: 0, host: '127.0.0.1' });
  profile = mkdtempSync(join(tmpdir(), 'lg-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // Nothing but the looking glass itself: any other request is recorded and refused.
  await context.route('**/*', (route) => {
    if (route.request().url().startsWith('http://127.0.0.1:')) return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
});

afterAll(async () => {
  await context?.close();
  await lg?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('the looking-glass page in Chromium', () => {
  it('shows the map, sessions, a route lookup and the experiments on a desktop screen', async () => {
    const { page, problems } = await open({ width: 1280, height: 900 });
    expect(await page.locator('svg.mesh-map g.node').count()).toBe(6);
    expect(await page.locator('svg.mesh-map g.node-offline').getAttribute('data-node')).toBe('freiburg-garage');
    expect(await page.locator('svg.mesh-map g.link-up').count()).toBeGreaterThan(5);
    expect(await page.locator('svg.mesh-map g.link-down').count()).toBe(5);
    expect(await page.locator('svg.mesh-map .link-label').first().textContent()).toMatch(/^\d+(\.\d+)? ms/);

    const sessions = await page.locator('#sessions-body tbody').innerText();
    expect(sessions).toContain('bergen-lab');
    expect(sessions).toContain('established');

    // Clicking a garage on the map shows its sessions.
    await page.locator('svg.mesh-map g[data-node="cph-makerspace"]').click();
    await expect.poll(() => page.locator('#session-node').inputValue()).toBe('cph-makerspace');
    await expect.poll(() => page.locator('#sessions-body tbody').innerText()).toContain('aalto-garage');

    await page.fill('#lookup-target', '10.200.1.9');
    await page.selectOption('#lookup-plane', 'experimental');
    await page.click('#lookup-form button');
    await page.waitForSelector('#lookup-body table.routes');
    const routes = await page.locator('#lookup-body table.routes').innerText();
    expect(routes).toContain('10.200.1.0/24');
    expect(routes).toContain('AS4200100001');
    expect(routes).toContain('experiment route');
    expect(routes).toContain('valid');
    expect(await page.locator('#lookup-body svg.as-graph .vertex-origin').count()).toBe(1);
    // Best paths first; the others on request.
    expect(await page.locator('#lookup-body tr.alt').first().isVisible()).toBe(false);
    await page.click('#lookup-body button.toggle');
    expect(await page.locator('#lookup-body tr.alt').first().isVisible()).toBe(true);
    await page.locator('#lookup').screenshot({ path: join(SHOTS, 'lookup.png') });

    // A community in the results lists every route that carries it at that node.
    await page.locator('#lookup-body tr.best button.community', { hasText: '64512:100' }).first().click();
    await expect.poll(() => page.locator('#routes-body').innerText()).toMatch(/paths? at aalto-garage in the experimental plane/);
    const listed = await page.locator('#routes-body table.routes').innerText();
    expect(listed).toContain('10.200.0.0/24');
    expect(listed).toContain('10.200.1.0/24');
    expect(await page.locator('#routes-filter').inputValue()).toBe('community');
    // A neighbor in the sessions table lists the routes learned from it.
    await page.locator('#sessions-body button.link', { hasText: 'aalto-garage' }).click();
    await expect.poll(() => page.locator('#routes-body').innerText()).toMatch(/at cph-makerspace in the production plane/);
    expect(await page.locator('#routes-body table.routes tbody tr').count()).toBeGreaterThan(3);
    await page.locator('#routes').screenshot({ path: join(SHOTS, 'routes.png') });
    await page.locator('#map').screenshot({ path: join(SHOTS, 'map.png') });

    const experiment = await page.locator('article[data-experiment="anycast-study"]').innerText();
    expect(experiment).toContain('active');
    expect(experiment).toContain('10.200.0.0/22');
    await page.locator('article[data-experiment="anycast-study"] summary').click();
    expect(await page.locator('article[data-experiment="anycast-study"] .audit li').count()).toBe(2);

    expect(await page.locator('#changes-body tbody tr').count()).toBeGreaterThan(3);
    expect(await page.locator('#ribfib-body').innerText()).toMatch(/agrees|differs/);

    await page.screenshot({ path: join(SHOTS, 'desktop.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  });

  it('shows a refused probe target and a traceroute through the mesh', async () => {
    const { page, problems } = await open({ width: 1280, height: 900 });
    await page.selectOption('#probe-node', 'delft-shed');
    await page.fill('#probe-target', '192.0.2.1');
    await page.click('#probe-form button');
    await expect.poll(() => page.locator('#probe-body').innerText()).toMatch(/not a production address of this mesh/);
    await page.fill('#probe-target', '10.97.5.1');
    await page.selectOption('#probe-kind', 'traceroute');
    await page.click('#probe-form button');
    await expect.poll(() => page.locator('#probe-body').innerText()).toContain('eindhoven-lab');
    // The refused target is the one failed request.
    expect(problems).toEqual([expect.stringMatching(/status of 400/)]);
    await page.close();
  });

  it('fits a phone-sized screen without sideways scrolling of the page', async () => {
    const { page, problems } = await open({ width: 390, height: 844 });
    await page.fill('#lookup-target', '10.97.5.7');
    await page.selectOption('#lookup-node', 'delft-shed');
    await page.click('#lookup-form button');
    await page.waitForSelector('#lookup-body table.routes');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    const map = await page.locator('svg.mesh-map').boundingBox();
    expect(map!.width).toBeGreaterThan(300);
    await page.screenshot({ path: join(SHOTS, 'phone.png'), fullPage: true });
    await page.locator('#lookup').screenshot({ path: join(SHOTS, 'phone-lookup.png') });
    await page.locator('#lookup-body .as-graph-wrap').screenshot({ path: join(SHOTS, 'phone-as-graph.png') });
    await page.locator('#sessions').screenshot({ path: join(SHOTS, 'phone-sessions.png') });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, 'phone-top.png') });
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('the looking-glass page on a real registry and route daemon', () => {
  let real: Awaited<ReturnType<typeof startRealComponents>>;

  beforeAll(async () => {
    real = await startRealComponents();
  });

  afterAll(async () => {
    await real?.close();
  });

  it('shows the registry\'s garages and experiment, the daemon\'s session and a route it holds', async () => {
    const { page, problems } = await open({ width: 1280, height: 900 }, real.url);
    expect(await page.locator('svg.mesh-map g.node').count()).toBe(2);
    expect(await page.locator('svg.mesh-map g[data-node="garage-a"]').getAttribute('class')).toContain('node-online');
    await page.selectOption('#session-node', 'garage-a');
    await expect.poll(() => page.locator('#sessions-body tbody').innerText()).toMatch(/garage-b[\s\S]*established/);
    expect(await page.locator('#ribfib-body').innerText()).toContain('cannot compare its kernel tables');
    await page.fill('#lookup-target', real.target);
    await page.click('#lookup-form button');
    await page.waitForSelector('#lookup-body table.routes');
    const routes = await page.locator('#lookup-body table.routes').innerText();
    expect(routes).toContain(real.prefix);
    expect(routes).toContain(`AS${real.peerAsn}`);
    expect(routes).toContain('valid');
    expect(routes).toContain('node garage-b did not answer');
    expect(await page.locator('article[data-experiment="anycast-test"]').innerText()).toContain('active');
    await page.screenshot({ path: join(SHOTS, 'real-components.png'), fullPage: true });
    // The 501s of what the real components do not offer yet are the only failed requests.
    expect(problems.every((p) => /status of 50[13]/.test(p))).toBe(true);
    await page.close();
  });
});
