import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePrefix } from '../../common/prefix.js';
import { emptyAttributes } from './attributes.js';
import { negotiateCodecOptions, openAsn } from './capabilities.js';
import { encodeMessage } from './codec.js';
import { MessageFramer } from './framer.js';
import { prefixToNlri } from './nlri.js';
import { IPV4_UNICAST, IPV6_UNICAST, MessageType } from './types.js';
import type { CodecOptions, OpenMessage, UpdateMessage } from './types.js';
import { checkMessage } from './validate.js';

/**
 * The codec against what a real BIRD 2 sends: BIRD (AS 4200000001, four-octet) connects
 * over loopback to a listener built only from this codec and announces IPv4 and IPv6
 * routes with MED, communities and large communities. Every message must decode and
 * validate, and the attributes must be the ones BIRD was told to send.
 */

const run = promisify(execFile);
const BIRD_AS = 4200000001;
const OUR_AS = 65000;
const dirs: string[] = [];
const children: ChildProcess[] = [];
const servers: Server[] = [];

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
  servers.forEach((s) => s.close());
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const ourOpen: OpenMessage = {
  type: MessageType.Open,
  version: 4,
  myAs: OUR_AS,
  holdTime: 90,
  bgpId: 0x7f000001,
  capabilities: [
    { kind: 'multiprotocol', ...IPV4_UNICAST },
    { kind: 'multiprotocol', ...IPV6_UNICAST },
    { kind: 'route-refresh' },
    { kind: 'four-octet-as', asn: OUR_AS },
  ],
};

interface Received {
  readonly socket: Socket;
  readonly peerOpen: OpenMessage;
  readonly codec: CodecOptions;
  readonly updates: UpdateMessage[];
  readonly ipv4: Set<number>;
  readonly ipv6: Set<string>;
}

/**
 * Plays our side of a session with only the codec: answers the peer's OPEN, then
 * checks every message until the expected numbers of prefixes have arrived.
 */
async function receiveRoutes(socket: Socket, expected: { peerAs: number; ipv4: number; ipv6: number }): Promise<Received> {
  const framer = new MessageFramer();
  const updates: UpdateMessage[] = [];
  let peerOpen: OpenMessage | null = null;
  let codec: CodecOptions = { fourOctetAs: true, families: [IPV4_UNICAST, IPV6_UNICAST] };
  const ipv4 = new Set<number>();
  const ipv6 = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out with ${ipv4.size} IPv4 and ${ipv6.size} IPv6 prefixes`)), 20_000);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    socket.on('data', (chunk: Buffer) => {
      const { messages, error } = framer.push(chunk);
      if (error !== null) fail(error);
      for (const bytes of messages) {
        const checked = checkMessage(bytes, { codec, update: { external: true, peerAs: expected.peerAs }, open: { peerAs: expected.peerAs } });
        if (checked.kind === 'malformed') fail(new Error(checked.reason));
        if (checked.kind === 'open') {
          if (checked.verdict.action !== 'accept') fail(new Error(checked.verdict.reason));
          peerOpen = checked.message;
          codec = negotiateCodecOptions(ourOpen, checked.message);
          socket.write(encodeMessage(ourOpen, codec));
          socket.write(encodeMessage({ type: MessageType.Keepalive }, codec));
        }
        if (checked.kind === 'update') {
          if (checked.verdict.action !== 'accept') fail(new Error(`UPDATE not accepted: ${JSON.stringify(checked.verdict)}`));
          updates.push(checked.message);
          checked.message.nlri.forEach((p) => ipv4.add(p));
          checked.message.attributes.mpReach?.prefixes.forEach((p) => ipv6.add(String(p)));
        }
      }
      if (ipv4.size >= expected.ipv4 && ipv6.size >= expected.ipv6) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { socket, peerOpen: peerOpen!, codec, updates, ipv4, ipv6 };
}

async function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

describe('decoding what BIRD 2 sends', () => {
  it('OPEN and UPDATEs for IPv4 and IPv6 with communities and large communities', async () => {
    const { server, port } = await listen();
    const spare = await listen();
    spare.server.close(); // only to find a free port for BIRD's own listening socket
    const birdPort = spare.port;
    const dir = mkdtempSync(join(tmpdir(), 'gn-codec-bird-'));
    dirs.push(dir);
    const exportFilter = 'bgp_med = 50; bgp_community.add((65000,100)); bgp_large_community.add((4200000001,1,2)); accept;';
    writeFileSync(
      join(dir, 'bird.conf'),
      `router id 10.255.0.3;
protocol device {}
protocol static s4 { ipv4; route 192.0.2.0/24 unreachable; route 198.51.100.128/25 unreachable; }
protocol static s6 { ipv6; route 2001:db8:1::/48 unreachable; }
protocol bgp codec {
  local 127.0.0.3 port ${birdPort} as ${BIRD_AS};
  neighbor 127.0.0.1 port ${port} as ${OUR_AS};
  multihop;
  connect delay time 1;
  ipv4 { import none; export filter { ${exportFilter} }; };
  ipv6 { import none; next hop address 2001:db8::3; export filter { ${exportFilter} }; };
}
`,
    );
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const bird = spawn('bird', ['-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')], { stdio: 'ignore' });
    children.push(bird);
    const [socket] = await accepted;

    const { peerOpen: birdOpen, codec, updates, ipv4, ipv6 } = await receiveRoutes(socket, { peerAs: BIRD_AS, ipv4: 2, ipv6: 1 });
    socket.destroy();

    expect(openAsn(birdOpen)).toBe(BIRD_AS);
    expect(codec).toEqual({ fourOctetAs: true, families: [IPV4_UNICAST, IPV6_UNICAST] });
    expect([...ipv4].sort()).toEqual([prefixToNlri(parsePrefix('192.0.2.0/24')), prefixToNlri(parsePrefix('198.51.100.128/25'))].sort());
    expect([...ipv6]).toEqual([prefixToNlri(parsePrefix('2001:db8:1::/48'))]);
    for (const update of updates.filter((u) => u.nlri.length > 0 || u.attributes.mpReach !== null)) {
      const a = update.attributes;
      expect(a.asPath).toEqual([{ type: 2, asns: [BIRD_AS] }]);
      expect(a.med).toBe(50);
      expect(a.communities).toEqual([65000 * 65536 + 100]);
      expect(a.largeCommunities).toEqual([{ globalAdmin: BIRD_AS, localData1: 1, localData2: 2 }]);
    }
    const v6 = updates.find((u) => u.attributes.mpReach !== null)!;
    expect(v6.attributes.mpReach!.nextHop).toBe(0x20010db8000000000000000000000003n);
  });
});

const GOBGP_AS = 4200000002;

describe('GoBGP 3 and the codec', () => {
  it('decodes what gobgpd sends and gobgpd accepts what the codec encodes', async () => {
    const { server, port } = await listen();
    const api = await listen();
    api.server.close(); // only to find a free port for gobgpd's API
    const apiPort = api.port;
    const dir = mkdtempSync(join(tmpdir(), 'gn-codec-gobgp-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, 'gobgpd.toml'),
      `[global.config]
  as = ${GOBGP_AS}
  router-id = "10.255.0.4"
  port = -1
[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.1"
    peer-as = ${OUR_AS}
  [neighbors.transport.config]
    remote-port = ${port}
    local-address = "127.0.0.4"
  [neighbors.ebgp-multihop.config]
    enabled = true
    multihop-ttl = 3
  [neighbors.timers.config]
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
`,
    );
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const gobgpd = spawn('gobgpd', ['-f', join(dir, 'gobgpd.toml'), '--api-hosts', `127.0.0.1:${apiPort}`], { stdio: 'ignore' });
    children.push(gobgpd);
    const gobgp = async (...args: string[]): Promise<string> => (await run('gobgp', ['-p', String(apiPort), ...args])).stdout;
    for (let tries = 0; ; tries++) {
      const added = await gobgp('global', 'rib', 'add', '192.0.2.0/24', 'community', '65000:100', 'large-community', `${GOBGP_AS}:1:2`, 'med', '50', '-a', 'ipv4').then(() => true, () => false);
      if (added) break;
      if (tries > 50) throw new Error('gobgpd API did not come up');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await gobgp('global', 'rib', 'add', '2001:db8:2::/48', 'community', '65000:100', 'nexthop', '2001:db8::4', '-a', 'ipv6');
    const [socket] = await accepted;
    const { peerOpen, codec, updates } = await receiveRoutes(socket, { peerAs: GOBGP_AS, ipv4: 1, ipv6: 1 });

    expect(openAsn(peerOpen)).toBe(GOBGP_AS);
    expect(codec.fourOctetAs).toBe(true);
    const v4 = updates.find((u) => u.nlri.length > 0)!;
    expect(v4.nlri).toEqual([prefixToNlri(parsePrefix('192.0.2.0/24'))]);
    expect(v4.attributes.asPath).toEqual([{ type: 2, asns: [GOBGP_AS] }]);
    expect(v4.attributes.communities).toEqual([65000 * 65536 + 100]);
    expect(v4.attributes.largeCommunities).toEqual([{ globalAdmin: GOBGP_AS, localData1: 1, localData2: 2 }]);
    const v6 = updates.find((u) => u.attributes.mpReach !== null)!;
    expect(v6.attributes.mpReach!.prefixes).toEqual([prefixToNlri(parsePrefix('2001:db8:2::/48'))]);

    // The other way: our encoding (GoBGP treats a loopback NEXT_HOP as withdraw, so 10.255.0.1) of IPv4 and IPv6 routes, with an unknown optional transitive attribute.
    const attributes = {
      ...emptyAttributes(),
      origin: 0 as const,
      asPath: [{ type: 2 as const, asns: [OUR_AS, 4200000099] }],
      communities: [65000 * 65536 + 7],
      largeCommunities: [{ globalAdmin: OUR_AS, localData1: 3, localData2: 4 }],
      unknown: [{ flags: 0xc0, typeCode: 99, value: Buffer.from('cafe', 'hex') }],
    };
    socket.write(encodeMessage({ type: MessageType.Update, withdrawn: [], attributes: { ...attributes, nextHop: 0x0aff0001 }, nlri: [prefixToNlri(parsePrefix('203.0.113.0/24')) as number], attributeLength: 0, problems: [] }, codec));
    const mpReach = { afi: 2 as const, safi: 1 as const, nextHop: 0x20010db8000000000000000000000001n, linkLocalNextHop: null, prefixes: [prefixToNlri(parsePrefix('2001:db8:99::/48')) as string] };
    socket.write(encodeMessage({ type: MessageType.Update, withdrawn: [], attributes: { ...attributes, mpReach }, nlri: [], attributeLength: 0, problems: [] }, codec));

    let v4Rib = '';
    let v6Rib = '';
    for (let tries = 0; tries < 50 && !(v4Rib.includes('203.0.113.0/24') && v6Rib.includes('2001:db8:99::/48')); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      v4Rib = await gobgp('neighbor', '127.0.0.1', 'adj-in', '-a', 'ipv4', '-j');
      v6Rib = await gobgp('neighbor', '127.0.0.1', 'adj-in', '-a', 'ipv6', '-j');
    }
    for (const rib of [v4Rib, v6Rib]) {
      expect(rib).toContain('"asns":[65000,4200000099]');
      expect(rib).toContain(`"communities":[${65000 * 65536 + 7}]`);
      expect(rib).toContain('{"type":32,"value":[{"ASN":65000,"LocalData1":3,"LocalData2":4}]}');
      expect(rib).toContain('{"flags":192,"type":99,"value":"yv4="}');
    }
    expect(v4Rib).toContain('203.0.113.0/24');
    expect(v6Rib).toContain('2001:db8:99::/48');
    expect(v6Rib).toContain('2001:db8::1');
    socket.destroy();
  });
});
