import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../common/log.js';
import { createLookingGlass } from '../../looking-glass/server/server.js';
import { buildSampleMesh, MESH_COMMUNITIES, MESH_LARGE_COMMUNITIES } from '../../looking-glass/sources/in-process/sample-mesh.js';
import { emitFigures, type Figure } from '../figures.js';

/**
 * Looking-glass latency under a bounded wrk load on loopback, with one node
 * holding a full table of 1,000,000 routes. Side by side in one run: the
 * main page, the page's data call, route lookups (fresh random addresses, so
 * no answer is reused; the same address, so it is), and as the floor a bare
 * node:http server answering a fixed JSON body. Prints p50/p99 and ratios.
 *
 *   npm run build && node dist/bench/looking-glass/run.js [--routes N] [--seconds S] [--connections C]
 */

interface Result {
  readonly name: string;
  readonly p50: number;
  readonly p99: number;
  readonly rps: number;
  readonly errors: string;
}

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROUTES = option('routes', 1_000_000);
const SECONDS = option('seconds', 8);
const CONNECTIONS = option('connections', 4);
const TARGET_P99_MS = 50;

/** wrk scripts that ask for something different on every request, so that no answer is reused. */
const RANDOM_ADDRESS = 'string.format("%d.%d.%d.%d", 32 + math.random(0, 31), math.random(0, 255), math.random(0, 255), math.random(1, 254))';
const RANDOM_ASN = 'tostring(math.random(1, 60000))';

function randomScript(path: string, value: string): string {
  return `
math.randomseed(42)
request = function()
  return wrk.format("GET", "${path}" .. ${value})
end
`;
}

function runWrk(name: string, url: string, script?: string): Promise<Result> {
  const wrkArgs = ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--timeout', '5s', '--latency', ...(script ? ['-s', script] : []), url];
  return new Promise((resolve, reject) => {
    execFile('wrk', wrkArgs, { timeout: (SECONDS + 30) * 1000 }, (err, stdout) => {
      if (err) return reject(new Error(`wrk failed for ${name}: ${err.message}`));
      const percentile = (p: string): number => {
        const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(stdout);
        if (!m) throw new Error(`no ${p}% line in wrk output for ${name}:\n${stdout}`);
        return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 } as const)[m[2] as 'us' | 'ms' | 's'];
      };
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1];
      const socketErrors = /Socket errors: (.*)/.exec(stdout)?.[1];
      resolve({ name, p50: percentile('50'), p99: percentile('99'), rps, errors: [non2xx && `${non2xx} non-2xx`, socketErrors].filter(Boolean).join('; ') || 'none' });
    });
  });
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'lg-bench-'));
  const built = process.hrtime.bigint();
  const mesh = buildSampleMesh({ fullTable: { node: 'aalto-garage', routes: ROUTES } });
  const buildSeconds = Number(process.hrtime.bigint() - built) / 1e9;
  const table = mesh.nodes.get('aalto-garage')!.tables.experimental;
  console.log(`experimental table at aalto-garage: ${table.size.toLocaleString('en')} routes, built in ${buildSeconds.toFixed(1)} s, RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);

  // Rate limiting off for the load generator: this measures the server, not the limiter.
  const lg = createLookingGlass({
    source: mesh,
    communities: { communities: MESH_COMMUNITIES, largeCommunities: MESH_LARGE_COMMUNITIES },
    rateLimit: { burst: 1e9, perSecond: 1e9 },
    log: createLogger('looking-glass', { level: 'error' }),
  });
  const base = await lg.listen({ port: 0, host: '127.0.0.1' });
  const floorBody = JSON.stringify({ ok: true, padding: 'x'.repeat(400) });
  const floor = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(floorBody));
  await new Promise<void>((resolve) => floor.listen(0, '127.0.0.1', resolve));
  const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}/`;

  const script = (file: string, path: string, value: string): string => {
    const at = join(work, file);
    writeFileSync(at, randomScript(path, value));
    return at;
  };
  const results: Result[] = [];
  try {
    results.push(await runWrk('bare node:http (floor)', floorUrl));
    results.push(await runWrk('main page (/)', `${base}/`));
    results.push(await runWrk('page data (/api/v1/mesh)', `${base}/api/v1/mesh`));
    results.push(await runWrk('lookup, one node, random address', base, script('one.lua', '/api/v1/lookup?plane=experimental&node=aalto-garage&target=', RANDOM_ADDRESS)));
    results.push(await runWrk('lookup, every node, random address', base, script('all.lua', '/api/v1/lookup?plane=experimental&target=', RANDOM_ADDRESS)));
    results.push(await runWrk('lookup, one node, same address', `${base}/api/v1/lookup?plane=experimental&node=aalto-garage&target=33.1.2.3`));
    results.push(await runWrk('routes by origin AS, random AS', base, script('origin.lua', '/api/v1/routes?plane=experimental&node=aalto-garage&limit=100&originAsn=', RANDOM_ASN)));
  } finally {
    await lg.close();
    floor.close();
    rmSync(work, { recursive: true, force: true });
  }

  const floorP50 = results[0]!.p50;
  console.log(`\nwrk: 1 thread, ${CONNECTIONS} connections, ${SECONDS} s per row, loopback; ${ROUTES.toLocaleString('en')} routes at one node\n`);
  const header = ['workload', 'p50 ms', 'p99 ms', 'req/s', 'p50 / floor', `p99 / ${TARGET_P99_MS} ms target`, 'errors'];
  const rows = results.map((r) => [r.name, r.p50.toFixed(2), r.p99.toFixed(2), r.rps.toFixed(0), `${(r.p50 / floorP50).toFixed(1)}x`, `${(r.p99 / TARGET_P99_MS).toFixed(2)}`, r.errors]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => (i === 0 || i === 6 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  const lookup = results.find((r) => r.name.startsWith('lookup, one node, random'))!;
  console.log(`\nlookup p99 ${lookup.p99.toFixed(2)} ms: ${lookup.p99 < TARGET_P99_MS ? 'meets' : 'misses'} the ${TARGET_P99_MS} ms target`);
  emitFigures('looking-glass', results.slice(1).map((r): Figure => ({
    figure: `looking glass p99, ${r.name}, ${ROUTES.toLocaleString('en')} routes`, unit: 'ms', ours: r.p99, peer: results[0]!.name, peerValue: results[0]!.p99, better: 'lower',
  })));
}

await main();
