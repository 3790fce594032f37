/**
 * Runs BFD sessions inside a namespace for tests and benchmarks.
 * Usage: bfd-peer-main LOCAL_ADDRESS PEER_ADDRESS TX_MS RX_MS MULTIPLIER [ROUTE DEV METRIC]
 * Prints one JSON line per state change ({ event: "state", ... , atMs })
 * and answers "status" on stdin with { event: "status", peers: [...] }.
 * With ROUTE DEV METRIC it also acts as the agent will (until BGP does it):
 * Down removes the route over the tunnel, Up puts it back, so traffic takes
 * the next route; it prints { event: "route", action, atMs } when done.
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { BfdDiagnostic, BfdState } from '../bfd/codec.js';
import { BfdEndpoint } from '../bfd/transport.js';
import { run } from '../system/run.js';

function print(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...value, atMs: performance.timeOrigin + performance.now() })}\n`);
}

async function main(): Promise<void> {
  const [local, peer, txMs, rxMs, multiplier, route, dev, metric] = process.argv.slice(2);
  if (local === undefined || peer === undefined) throw new Error('usage: bfd-peer-main LOCAL PEER TX_MS RX_MS MULTIPLIER');
  const endpoint = new BfdEndpoint();
  endpoint.on('state', (event) => {
    print({ event: 'state', peer: event.peer, from: BfdState[event.from], to: BfdState[event.to], diagnostic: BfdDiagnostic[event.diagnostic], detectionTimeUs: event.detectionTimeUs });
    if (route === undefined || dev === undefined || metric === undefined) return;
    const action = event.to === BfdState.Up ? 'replace' : event.from === BfdState.Up ? 'del' : undefined;
    if (action === undefined) return;
    run('ip', ['route', action, route, 'dev', dev, 'metric', metric])
      .then(() => print({ event: 'route', action }))
      .catch((err: Error) => print({ event: 'route', action, error: err.message }));
  });
  await endpoint.addPeer(peer, {
    localAddress: local,
    timers: { desiredMinTxUs: Number(txMs ?? 50) * 1000, requiredMinRxUs: Number(rxMs ?? 50) * 1000, detectMultiplier: Number(multiplier ?? 3) },
  });
  print({ event: 'ready' });
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'status') print({ event: 'status', peers: endpoint.status(), dropped: endpoint.dropped });
  });
  const stop = (): void => {
    void endpoint.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
