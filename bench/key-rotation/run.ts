/**
 * Key rotation over a live wireguard-go tunnel: which order of the two
 * `wg set` steps loses packets. Probes flow both ways every 1 ms; one side
 * rotates its key, the peer swaps the public key; the two steps are `gap`
 * ms apart, in either order.
 *
 *   node dist/bench/key-rotation/run.js     (as root, after npm run build)
 *
 * ANCHORS.md says the receiving side must learn the new key first; this
 * bench measures both orders side by side so the agent's order rests on data.
 */
import { dirname, join } from 'node:path';
import { spawnInNetns, type NetnsChild } from '../../node/test-support/netns-process.js';
import { buildTopology, type Topology } from '../../node/test-support/topology.js';
import { connectGarages } from '../../node/test-support/tunnels.js';
import { generateKeyFile } from '../../node/wireguard/keys.js';
import { replacePeerKey, setInterfaceKey } from '../../node/wireguard/wg.js';
import { emitFigures } from '../figures.js';

type Order = 'rotating node first' | 'peer first';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function report(probe: NetnsChild): Promise<{ lost: number; maxGapMs: number }> {
  probe.send('stop');
  await probe.waitFor((l) => l.event === 'sent', 5_000);
  await sleep(300);
  const before = probe.lines.length;
  probe.send('report');
  const r = await probe.waitFor((l) => l.event === 'report' && probe.lines.indexOf(l) >= before, 5_000);
  return { lost: r.lost as number, maxGapMs: r.maxGapMs as number };
}

async function trial(topology: Topology, order: Order, gapMs: number, instance: number): Promise<{ towardRotating: { lost: number; maxGapMs: number }; towardPeer: { lost: number; maxGapMs: number } }> {
  const [g0, g1] = topology.garages as [Topology['garages'][0] & object, Topology['garages'][0] & object];
  const tunnel = await connectGarages(topology, g0, g1, { instance });
  const port = String(7000 + instance);
  const probes = [
    await spawnInNetns(g0.netns, 'node/test-support/udp-probe-main.ts', { args: [port, tunnel.b.address, port, '1', '5000'], tempPrefix: topology.id }),
    await spawnInNetns(g1.netns, 'node/test-support/udp-probe-main.ts', { args: [port, tunnel.a.address, port, '1', '5000'], tempPrefix: topology.id }),
  ];
  try {
    for (const p of probes) await p.waitFor((l) => l.event === 'ready', 10_000);
    for (const p of probes) p.send('start');
    await sleep(500);
    const rotating = { interfaceName: tunnel.a.interface.name, netns: g0.netns };
    const peer = { interfaceName: tunnel.b.interface.name, netns: g1.netns };
    const newKeyFile = join(dirname(tunnel.a.privateKeyFile), `rotated-${instance}.key`);
    const { publicKey } = await generateKeyFile(newKeyFile);
    const rotate = (): Promise<void> => setInterfaceKey(rotating, { privateKeyFile: newKeyFile });
    const swap = (): Promise<void> =>
      replacePeerKey(peer, {
        oldPublicKey: tunnel.a.publicKey,
        peer: { publicKey, endpoint: `${g0.publicAddress}:${tunnel.a.listenPort}`, allowedIps: ['0.0.0.0/0', '::/0'] },
      });
    const [first, second] = order === 'rotating node first' ? [rotate, swap] : [swap, rotate];
    await first();
    await sleep(gapMs);
    await second();
    await sleep(1_500);
    return { towardRotating: await report(probes[0]!), towardPeer: await report(probes[1]!) };
  } finally {
    for (const p of probes) await p.stop();
    await tunnel.close();
  }
}

async function main(): Promise<void> {
  const topology = await buildTopology({ prefix: 'gnbk', garages: 2 });
  try {
    const lines = ['key rotation bench: 1 ms probes both ways over one wireguard-go tunnel; probes lost (largest gap ms)', ''];
    lines.push(`${'order'.padEnd(22)} ${'steps apart'.padStart(11)}   ${'to rotating node'.padStart(18)}   ${'to peer'.padStart(18)}`);
    let instance = 0;
    const totals = new Map<Order, number>();
    for (const gapMs of [0, 50, 100, 500]) {
      for (const order of ['rotating node first', 'peer first'] as const) {
        const r = await trial(topology, order, gapMs, instance++);
        totals.set(order, (totals.get(order) ?? 0) + r.towardRotating.lost + r.towardPeer.lost);
        const cell = (x: { lost: number; maxGapMs: number }): string => `${x.lost} (${x.maxGapMs.toFixed(0)})`.padStart(18);
        lines.push(`${order.padEnd(22)} ${`${gapMs} ms`.padStart(11)}   ${cell(r.towardRotating)}   ${cell(r.towardPeer)}`);
      }
    }
    const a = totals.get('rotating node first') ?? 0;
    const b = totals.get('peer first') ?? 0;
    lines.push('', `total lost: rotating node first ${a}, peer first ${b}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    // ours: the order ANCHORS.md recommends (the peer learns the new key first); the peer figure: the opposite order, same run.
    emitFigures('key-rotation', [{ figure: 'key rotation, peer learns the key first: probes lost, 4 step gaps', unit: 'packets', ours: b, peer: 'rotating node first (same run)', peerValue: a, better: 'lower' }]);
  } finally {
    await topology.teardown();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`key rotation bench: ${err.message}\n`);
  process.exit(1);
});
