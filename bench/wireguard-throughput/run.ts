/**
 * Throughput of one wireguard-go tunnel between two garage namespaces,
 * against the bare line it runs over, measured side by side with iperf3.
 *
 *   node dist/bench/wireguard-throughput/run.js [--seconds N]     (as root, after npm run build)
 *
 * Also reports TCP retransmits (iperf3) and UDP receive-buffer drops in the
 * receiving garage (nstat UdpRcvbufErrors): ANCHORS.md found the receiving
 * wireguard-go falling behind, its socket buffer overflowing.
 */
import { spawn } from 'node:child_process';
import { run } from '../../node/system/run.js';
import { buildTopology } from '../../node/test-support/topology.js';
import { connectGarages } from '../../node/test-support/tunnels.js';
import { emitFigures } from '../figures.js';

interface Result {
  mbits: number;
  retransmits: number;
  rcvbufErrors: number;
}

async function udpRcvbufErrors(netns: string): Promise<number> {
  const text = await run('nstat', ['-az', 'UdpRcvbufErrors'], { netns });
  return Number(/UdpRcvbufErrors\s+(\d+)/.exec(text)?.[1] ?? 0);
}

async function iperf(server: { netns: string; address: string }, client: { netns: string }, seconds: number): Promise<Result> {
  const port = '5301';
  const daemon = spawn('ip', ['netns', 'exec', server.netns, 'iperf3', '-s', '-1', '-B', server.address, '-p', port], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await udpRcvbufErrors(server.netns);
    const json = JSON.parse(
      await run('iperf3', ['-c', server.address, '-p', port, '-t', String(seconds), '-J'], { netns: client.netns, timeoutMs: (seconds + 20) * 1000 }),
    ) as { end: { sum_received: { bits_per_second: number }; sum_sent: { retransmits?: number } } };
    return {
      mbits: json.end.sum_received.bits_per_second / 1e6,
      retransmits: json.end.sum_sent.retransmits ?? 0,
      rcvbufErrors: (await udpRcvbufErrors(server.netns)) - before,
    };
  } finally {
    daemon.kill();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--seconds');
  const seconds = at >= 0 ? Number(argv[at + 1]) : 5;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) throw new Error('--seconds must be 1..60');
  const topology = await buildTopology({ prefix: 'gnbt', garages: 2 });
  try {
    const [g0, g1] = topology.garages as [(typeof topology.garages)[0] & object, (typeof topology.garages)[0] & object];
    const tunnel = await connectGarages(topology, g0, g1);
    await run('ping', ['-c', '3', '-i', '0.2', tunnel.b.address], { netns: g0.netns });
    const bare = await iperf({ netns: g1.netns, address: g1.lineAddress }, { netns: g0.netns }, seconds);
    const wg = await iperf({ netns: g1.netns, address: tunnel.b.address }, { netns: g0.netns }, seconds);
    const rows = [
      ['bare line (veth via internet ns)', bare],
      ['wireguard-go tunnel (MTU 1420)', wg],
    ] as const;
    const lines = [`wireguard throughput bench: iperf3 TCP, ${seconds} s each, garage to garage`, ''];
    lines.push(`${'path'.padEnd(34)} ${'Mbit/s'.padStart(9)} ${'retransmits'.padStart(12)} ${'UDP rcvbuf drops'.padStart(17)}`);
    for (const [name, r] of rows) {
      lines.push(`${name.padEnd(34)} ${r.mbits.toFixed(0).padStart(9)} ${String(r.retransmits).padStart(12)} ${String(r.rcvbufErrors).padStart(17)}`);
    }
    lines.push('');
    lines.push(`ratio wireguard-go / bare line: ${(wg.mbits / bare.mbits).toFixed(3)}`);
    lines.push(`ratio wireguard-go / ANCHORS wireguard-go lab-to-lab (513 Mbit/s): ${(wg.mbits / 513).toFixed(2)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    emitFigures('wireguard-throughput', [{ figure: `iperf3 TCP garage to garage, ${seconds} s`, unit: 'Mbit/s', ours: wg.mbits, peer: 'bare veth line (ceiling)', peerValue: bare.mbits, better: 'higher' }]);
    await tunnel.close();
  } finally {
    await topology.teardown();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`wireguard throughput bench: ${err.message}\n`);
  process.exit(1);
});
