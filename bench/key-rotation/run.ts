/**
 * Key rotation over a live wireguard-go tunnel. Probes flow both ways every
 * 1 ms; one side rotates its key, the peer swaps the public key.
 *
 *   node dist/bench/key-rotation/run.js [--rotations N]    (as root, after npm run build)
 *
 * Two questions, each answered side by side in one run:
 * - which order of the two sides' steps loses packets, with the steps 0 to
 *   500 ms apart (ANCHORS.md says the receiving side must learn the new key
 *   first; garagenet does the opposite, on this data);
 * - how the peer swaps the key: garagenet's two commands (replacePeerKey)
 *   against the one `wg set peer OLD remove peer NEW ...` an operator would
 *   type, over N rotations each, alternating.
 */
import { dirname, join } from 'node:path';
import { spawnInNetns, type NetnsChild } from '../../node/test-support/netns-process.js';
import { buildTopology, type Topology } from '../../node/test-support/topology.js';
import { connectGarages } from '../../node/test-support/tunnels.js';
import { generateKeyFile } from '../../node/wireguard/keys.js';
import { run } from '../../node/system/run.js';
import { peerArgs, replacePeerKey, setInterfaceKey, type PeerSettings, type WgTarget } from '../../node/wireguard/wg.js';
import { emitFigures } from '../figures.js';

type Order = 'rotating node first' | 'peer first';
type Swap = (peer: WgTarget, options: { oldPublicKey: string; peer: PeerSettings }) => Promise<void>;
interface Trial {
  order: Order;
  gapMs: number;
  swap: Swap;
}
type Lost = { lost: number; maxGapMs: number };

const oneTransactionSwap: Swap = async (peer, options) => {
  const args = ['set', peer.interfaceName, 'peer', options.oldPublicKey, 'remove', ...peerArgs(options.peer)];
  await run('wg', args, { netns: peer.netns! });
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function report(probe: NetnsChild): Promise<Lost> {
  probe.send('stop');
  await probe.waitFor((l) => l.event === 'sent', 5_000);
  await sleep(300);
  const before = probe.lines.length;
  probe.send('report');
  const r = await probe.waitFor((l) => l.event === 'report' && probe.lines.indexOf(l) >= before, 5_000);
  return { lost: r.lost as number, maxGapMs: r.maxGapMs as number };
}

async function trial(topology: Topology, { order, gapMs, swap: swapKey }: Trial, instance: number): Promise<{ towardRotating: Lost; towardPeer: Lost }> {
  const [g0, g1] = topology.garages as [Topology['garages'][0] & object, Topology['garages'][0] & object];
  const tunnel = await connectGarages(topology, g0, g1, { instance: instance % 8 });
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
      swapKey(peer, {
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

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1 || value > 100) throw new Error(`${name} takes a whole number 1..100, got ${process.argv[at + 1]}`);
  return value;
}

const cell = (x: Lost): string => `${x.lost} (${x.maxGapMs.toFixed(0)})`.padStart(18);

async function main(): Promise<void> {
  const rotations = option('--rotations', 10);
  const topology = await buildTopology({ prefix: 'gnbk', garages: 2 });
  try {
    const lines = ['key rotation bench: 1 ms probes both ways over one wireguard-go tunnel; probes lost (largest gap ms)', ''];
    lines.push(`${'order'.padEnd(22)} ${'steps apart'.padStart(11)}   ${'to rotating node'.padStart(18)}   ${'to peer'.padStart(18)}`);
    let instance = 0;
    const byOrder = new Map<Order, number>();
    for (const gapMs of [0, 50, 100, 500]) {
      for (const order of ['rotating node first', 'peer first'] as const) {
        const r = await trial(topology, { order, gapMs, swap: replacePeerKey }, instance++);
        byOrder.set(order, (byOrder.get(order) ?? 0) + r.towardRotating.lost + r.towardPeer.lost);
        lines.push(`${order.padEnd(22)} ${`${gapMs} ms`.padStart(11)}   ${cell(r.towardRotating)}   ${cell(r.towardPeer)}`);
      }
    }
    const ourOrder = byOrder.get('rotating node first') ?? 0;
    const otherOrder = byOrder.get('peer first') ?? 0;
    lines.push('', `total lost: rotating node first ${ourOrder}, peer first ${otherOrder}`, '');

    // The swap's own loss is rare (a packet caught between two peers), so it takes many rotations to see; alternating shares the machine's load.
    const swaps: Array<[string, Swap]> = [['two commands (garagenet)', replacePeerKey], ['one wg set', oneTransactionSwap]];
    const bySwap = new Map<string, { lost: number; rotationsLosing: number }>();
    lines.push(`${'peer swaps the key by'.padEnd(24)} ${'rotation'.padStart(9)}   ${'to rotating node'.padStart(18)}   ${'to peer'.padStart(18)}`);
    for (let n = 1; n <= rotations; n++) {
      for (const [name, swap] of swaps) {
        const r = await trial(topology, { order: 'rotating node first', gapMs: 0, swap }, instance++);
        const lost = r.towardRotating.lost + r.towardPeer.lost;
        const total = bySwap.get(name) ?? { lost: 0, rotationsLosing: 0 };
        bySwap.set(name, { lost: total.lost + lost, rotationsLosing: total.rotationsLosing + (lost > 0 ? 1 : 0) });
        lines.push(`${name.padEnd(24)} ${String(n).padStart(9)}   ${cell(r.towardRotating)}   ${cell(r.towardPeer)}`);
      }
    }
    for (const [name, total] of bySwap) lines.push(`${name}: ${total.lost} lost, in ${total.rotationsLosing} of ${rotations} rotations`);
    process.stdout.write(`${lines.join('\n')}\n`);
    const ours = bySwap.get(swaps[0]![0])!;
    const single = bySwap.get(swaps[1]![0])!;
    emitFigures('key-rotation', [
      { figure: 'key rotation, rotating node first: probes lost, 4 step gaps', unit: 'packets', ours: ourOrder, peer: 'peer learns the key first, as ANCHORS.md advises (same run)', peerValue: otherOrder, better: 'lower' },
      { figure: `key rotation, the peer's swap: rotations losing probes, of ${rotations}`, unit: 'rotations', ours: ours.rotationsLosing, peer: 'one wg set peer OLD remove peer NEW (same run)', peerValue: single.rotationsLosing, better: 'lower' },
    ]);
  } finally {
    await topology.teardown();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`key rotation bench: ${err.message}\n`);
  process.exit(1);
});
