import { performance } from 'node:perf_hooks';
import { formatTable } from '../../common/cli.js';
import { RegistryClient } from '../../registry/client.js';
import { startLocalEtcd, startLocalRegistry, wgPublicKey } from '../../registry/local-registry.js';
import { emitFigures, type Figure } from '../figures.js';
import { median } from '../stats.js';

/**
 * An experiment's audit log read a page at a time against reading all of it,
 * through a real registry (gRPC + TLS) on a real etcd, loopback only:
 *  - the newest 20 entries, what `garagenet experiment status` shows;
 *  - the looking glass's later look, the entries after the newest one it saw;
 * each beside reading the whole log (1,000 entries a page, what reading all
 * of it costs now), which is what both read before pages. The single
 * unpaged ListAuditLog call of before no longer exists to be timed beside them.
 * For each log length given, the log is written first in the node's batches
 * of 100, then each read is timed REPS times, median.
 * Usage: node dist/bench/registry/audit-log.bench.js [entries ...]   (default 1000 10000)
 */

const SIZES = process.argv.slice(2).map(Number);
const REPS = 15;

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

async function medianMs(read: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const start = performance.now();
    await read();
    times.push(performance.now() - start);
  }
  return median(times);
}

const etcd = await startLocalEtcd();
const registry = await startLocalRegistry({ etcd: [etcd.url] });
const figures: Figure[] = [];
const rows: string[][] = [];
try {
  await registry.admin.createOrganization({ name: 'bench' });
  const { joinString } = await registry.admin.createInvitation({ organization: 'bench' });
  const { client, invitation, secret } = await RegistryClient.fromJoinString(joinString);
  await client.join({ invitation, secret, publicKey: wgPublicKey(), endpoints: ['192.0.2.1:51820'] });
  for (const size of SIZES.length ? SIZES : [1000, 10_000]) {
    const name = `log-${size}`;
    await registry.admin.createExperiment({ name, owner: 'bench', durationSeconds: 3600 });
    await client.attachExperiment(name, 'bench');
    const start = Date.now() - size * 10;
    for (let i = 0; i < size; i += 100) {
      const batch = Array.from({ length: Math.min(100, size - i) }, (_, j) => ({
        event: 'import.rejected.bogon', detail: `10.${(i + j) >> 16 & 255}.${(i + j) >> 8 & 255}.0/24: bogon (peer ${name}, experimental plane)`, at: new Date(start + (i + j) * 10).toISOString(),
      }));
      await client.appendAuditLogBatch(name, batch);
    }
    log(`${name}: ${size} entries written`);
    const newest = await registry.admin.auditLogPage(name, { limit: 20 });
    if (newest.entries.length !== 20) throw new Error(`${name}: the newest page has ${newest.entries.length} entries, not 20`);
    const whole = await registry.admin.listAuditLog(name);
    if (whole.length !== size + 1) throw new Error(`${name}: the whole log has ${whole.length} entries, not ${size + 1}`);
    if (JSON.stringify(whole.slice(-20)) !== JSON.stringify(newest.entries)) throw new Error(`${name}: the newest page is not the whole log's last 20`);

    const page = await medianMs(() => registry.admin.auditLogPage(name, { limit: 20 }));
    const follow = await medianMs(() => registry.admin.auditLogPage(name, { limit: 1000, after: newest.last }));
    const all = await medianMs(() => registry.admin.listAuditLog(name));
    rows.push([String(size), page.toFixed(2), follow.toFixed(2), all.toFixed(2), (page / all).toFixed(3), (follow / all).toFixed(3)]);
    figures.push(
      { figure: `audit log, newest 20 of ${size.toLocaleString('en')} entries`, unit: 'ms', ours: page, peer: 'whole log, 1,000 a page', peerValue: all, better: 'lower' },
      { figure: `audit log, entries after the newest seen, of ${size.toLocaleString('en')}`, unit: 'ms', ours: follow, peer: 'whole log, 1,000 a page', peerValue: all, better: 'lower' },
    );
  }
  client.close();
} finally {
  await registry.close();
  await etcd.close();
}
process.stderr.write(formatTable(['ENTRIES', 'NEWEST-20 MS', 'AFTER-NEWEST MS', 'WHOLE-LOG MS', 'NEWEST/WHOLE', 'AFTER/WHOLE'], rows));
emitFigures('registry-audit-log', figures);
