import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePrefix } from '../../common/prefix.js';
import { negotiateCodecOptions, openAsn } from './capabilities.js';
import { encodeMessage } from './codec.js';
import { MessageFramer } from './framer.js';
import { prefixToNlri } from './nlri.js';
import { IPV4_UNICAST, IPV6_UNICAST, MessageType } from './types.js';
import type { OpenMessage, UpdateMessage } from './types.js';
import { checkMessage } from './validate.js';

/**
 * The codec against what a real BIRD 2 sends: BIRD (AS 4200000001, four-octet) connects
 * over loopback to a listener built only from this codec and announces IPv4 and IPv6
 * routes with MED, communities and large communities. Every message must decode and
 * validate, and the attributes must be the ones BIRD was told to send.
 */

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

describe('decoding what BIRD 2 sends', () => {
  it('OPEN and UPDATEs for IPv4 and IPv6 with communities and large communities', async () => {
    const server = createServer();
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;

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
  local 127.0.0.3 port ${port + 1} as ${BIRD_AS};
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

    const framer = new MessageFramer();
    const updates: UpdateMessage[] = [];
    let birdOpen: OpenMessage | null = null;
    let codec = { fourOctetAs: true, families: [IPV4_UNICAST, IPV6_UNICAST] };
    const ipv4 = new Set<number>();
    const ipv6 = new Set<string>();
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out with ${ipv4.size} IPv4 and ${ipv6.size} IPv6 prefixes`)), 20_000);
      socket.on('data', (chunk: Buffer) => {
        const { messages, error } = framer.push(chunk);
        if (error !== null) reject(error);
        for (const bytes of messages) {
          const checked = checkMessage(bytes, { codec, update: { external: true, peerAs: BIRD_AS }, open: { peerAs: BIRD_AS } });
          if (checked.kind === 'malformed') reject(new Error(checked.reason));
          if (checked.kind === 'open') {
            if (checked.verdict.action !== 'accept') reject(new Error(checked.verdict.reason));
            birdOpen = checked.message;
            codec = negotiateCodecOptions(ourOpen, checked.message);
            socket.write(encodeMessage(ourOpen, codec));
            socket.write(encodeMessage({ type: MessageType.Keepalive }, codec));
          }
          if (checked.kind === 'update') {
            if (checked.verdict.action !== 'accept') reject(new Error(`UPDATE not accepted: ${JSON.stringify(checked.verdict)}`));
            updates.push(checked.message);
            checked.message.nlri.forEach((p) => ipv4.add(p));
            checked.message.attributes.mpReach?.prefixes.forEach((p) => ipv6.add(String(p)));
          }
        }
        if (ipv4.size >= 2 && ipv6.size >= 1) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await done;
    socket.destroy();

    expect(birdOpen).not.toBeNull();
    expect(openAsn(birdOpen!)).toBe(BIRD_AS);
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
