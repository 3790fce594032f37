import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipv4PrefixAddress, ipv4PrefixLength } from '../../route-daemon/packet/types.js';
import { feedTable } from './feeder.js';
import type { FeedResult } from './feeder.js';
import { encodeTableStream, generateTable } from './table.js';
import { freePort } from '../../common/free-port.js';

/** The feeder against a real BIRD 2 on loopback: the session comes up and BIRD holds every route. */

const run = promisify(execFile);
const SMALL = { prefixes: 20_000, attributeSets: 4_400, origins: 1_200, seed: 7 };
const FEEDER_ADDRESS = '127.0.0.2';


let dir = '';
let bird: ChildProcess | null = null;
let port = 0;
let feed: FeedResult | null = null;

async function birdc(...command: string[]): Promise<string> {
  const { stdout } = await run('birdc', ['-s', join(dir, 'bird.ctl'), ...command]);
  return stdout;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gn-feeder-'));
  port = await freePort();
  writeFileSync(
    join(dir, 'bird.conf'),
    `router id 10.255.0.2;
protocol device {}
protocol bgp feeder {
  local 127.0.0.1 port ${port} as 65001;
  neighbor ${FEEDER_ADDRESS} as 65000;
  passive on;
  multihop;
  ipv4 { import all; export none; };
}
`,
  );
  bird = spawn('bird', ['-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')], { stdio: 'ignore' });
  for (let tries = 0; tries < 50; tries++) {
    if ((await birdc('show', 'protocols').catch(() => '')).includes('feeder')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('BIRD did not start');
});

afterAll(async () => {
  await feed?.close().catch(() => undefined);
  if (bird !== null && bird.exitCode === null) {
    bird.kill('SIGTERM');
    await new Promise((resolve) => bird!.once('exit', resolve));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('feeder into BIRD 2', () => {
  it('brings the session up and BIRD ends up with every prefix and its attributes', async () => {
    const table = generateTable(SMALL);
    const stream = encodeTableStream(table, { localAs: 65000, nextHop: 0x7f000002 });
    feed = await feedTable(stream, { host: '127.0.0.1', port, localAddress: FEEDER_ADDRESS, localAs: 65000, peerAs: 65001, routerId: 0x7f000002 });
    expect(feed.bytes).toBe(stream.length + 23);

    let count = '';
    for (let tries = 0; tries < 100 && !count.includes(`${SMALL.prefixes} of ${SMALL.prefixes} routes`); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      count = await birdc('show', 'route', 'count');
    }
    expect(count).toContain(`${SMALL.prefixes} of ${SMALL.prefixes} routes`);

    const set = table.sets.find((s) => s.communities !== null && s.med !== null)!;
    const prefix = set.prefixes[0]!;
    const address = ipv4PrefixAddress(prefix);
    const text = `${[24, 16, 8, 0].map((s) => (address >>> s) & 0xff).join('.')}/${ipv4PrefixLength(prefix)}`;
    const route = await birdc('show', 'route', text, 'all');
    expect(route).toContain(`BGP.as_path: ${[65000, ...set.path].join(' ')}`);
    expect(route).toContain(`BGP.med: ${set.med}`);
    const communities = set.communities!.map((c) => `(${Math.floor(c / 65536)},${c % 65536})`).join(' ');
    expect(route).toContain(`BGP.community: ${communities}`);
  });
});
