/**
 * Sequence-numbered UDP probes for tests and benchmarks, run inside a namespace.
 * Usage: udp-probe-main LOCAL_PORT TARGET TARGET_PORT INTERVAL_MS MAX_COUNT
 * Receives on LOCAL_PORT all along. Commands on stdin:
 *   start   send one probe every INTERVAL_MS to TARGET:TARGET_PORT (at most MAX_COUNT)
 *   stop    stop sending; prints { event: "sent", count }
 *   report  prints { event: "report", received, lost, maxGapMs, gapStartMs, gapEndMs, ... }
 *           (the largest gap between arrivals: its last packet before and first after)
 *   reset   forgets what was received
 * Arrival times are taken in the 'message' callback (Node.js has no kernel
 * receive timestamps), so gaps carry up to a millisecond of event-loop noise.
 */
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

function print(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...value, atMs: performance.timeOrigin + performance.now() })}\n`);
}

async function main(): Promise<void> {
  const [localPort, target, targetPort, intervalMs, maxCount] = process.argv.slice(2).map((a, i) => (i === 1 ? a : Number(a))) as [
    number,
    string,
    number,
    number,
    number,
  ];
  const socket = createSocket(target.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(localPort, resolve));

  let received = 0;
  let firstSeq = -1;
  let lastSeq = -1;
  let outOfOrder = 0;
  let lastArrival = 0;
  let maxGapMs = 0;
  let gapAfterSeq = -1;
  let gapStartMs = 0;
  let gapEndMs = 0;
  let firstArrivalMs = 0;
  let lastArrivalMs = 0;
  const seen = new Set<number>();
  socket.on('message', (bytes) => {
    if (bytes.length < 4) return;
    const seq = bytes.readUInt32BE(0);
    const now = performance.now();
    if (received > 0) {
      const gap = now - lastArrival;
      if (gap > maxGapMs) {
        maxGapMs = gap;
        gapAfterSeq = lastSeq;
        gapStartMs = performance.timeOrigin + lastArrival;
        gapEndMs = performance.timeOrigin + now;
      }
    } else {
      firstSeq = seq;
      firstArrivalMs = performance.timeOrigin + now;
    }
    if (seq < lastSeq) outOfOrder++;
    seen.add(seq);
    received++;
    lastSeq = Math.max(lastSeq, seq);
    lastArrival = now;
    lastArrivalMs = performance.timeOrigin + now;
  });

  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const payload = Buffer.alloc(64);
  const sendNext = (): void => {
    payload.writeUInt32BE(sent, 0);
    socket.send(payload, targetPort, target);
    sent++;
    if (sent >= maxCount) clearInterval(timer);
  };

  createInterface({ input: process.stdin }).on('line', (line) => {
    const command = line.trim();
    if (command === 'start' && timer === undefined) {
      sent = 0;
      timer = setInterval(sendNext, intervalMs);
      print({ event: 'started' });
    } else if (command === 'stop') {
      clearInterval(timer);
      timer = undefined;
      print({ event: 'sent', count: sent });
    } else if (command === 'report') {
      const span = received === 0 ? 0 : lastSeq - firstSeq + 1;
      print({ event: 'report', received, distinct: seen.size, firstSeq, lastSeq, lost: span - seen.size, outOfOrder, maxGapMs, gapAfterSeq, gapStartMs, gapEndMs, firstArrivalMs, lastArrivalMs });
    } else if (command === 'reset') {
      received = 0;
      firstSeq = lastSeq = gapAfterSeq = -1;
      outOfOrder = 0;
      maxGapMs = 0;
      seen.clear();
      print({ event: 'reset' });
    }
  });
  print({ event: 'ready' });
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
