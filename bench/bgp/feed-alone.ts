import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../../common/cli.js';
import { feedTable } from './feeder.js';
import { FULL_TABLE, loadTableStream } from './table.js';
import { freePort } from '../../common/free-port.js';

/**
 * The feeder's own speed: the full table into a sink (bench/bgp/sink.ts, its own
 * process) that only counts octets, over loopback. Receivers are compared against this.
 * Usage: node dist/bench/bgp/feed-alone.js [runs]
 */

const FEEDER_AS = 65000;
const SINK_AS = 65001;


async function feedOnce(stream: Buffer): Promise<{ sendSeconds: number; receiveSeconds: number }> {
  const port = await freePort();
  const sink = spawn(process.execPath, [fileURLToPath(new URL('./sink.js', import.meta.url)), String(port), String(SINK_AS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killTimer = setTimeout(() => sink.kill('SIGKILL'), 60_000);
  try {
    await new Promise<void>((resolve, reject) => {
      sink.stderr.on('data', (d: Buffer) => (d.toString().includes('listening') ? resolve() : undefined));
      sink.once('exit', (code) => reject(new Error(`sink exited with ${code} before listening`)));
    });
    let output = '';
    sink.stdout.on('data', (d: Buffer) => (output += d.toString()));
    const exited = once(sink, 'exit');
    const feed = await feedTable(stream, { host: '127.0.0.1', port, localAs: FEEDER_AS, peerAs: SINK_AS, routerId: 0x7f000002 });
    await exited;
    await feed.close();
    const { receiveSeconds } = JSON.parse(output) as { receiveSeconds: number };
    return { sendSeconds: feed.sendSeconds, receiveSeconds };
  } finally {
    clearTimeout(killTimer);
    if (sink.exitCode === null) sink.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const { stream } = loadTableStream(FULL_TABLE, { localAs: FEEDER_AS, nextHop: 0x7f000002 });
  const rows: string[][] = [];
  for (let r = 0; r < runs; r++) {
    const result = await feedOnce(stream);
    rows.push([String(r + 1), result.sendSeconds.toFixed(3), result.receiveSeconds.toFixed(3), (stream.length / 1e6 / result.receiveSeconds).toFixed(0)]);
  }
  process.stdout.write(`feeder alone: ${(stream.length / 1e6).toFixed(1)} MB of UPDATEs to a discarding sink over loopback\n`);
  process.stdout.write(formatTable(['run', 'send s', 'sink received s', 'MB/s'], rows));
}

main().catch((error: unknown) => {
  process.stderr.write(`feed-alone: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
