import { execFile } from 'node:child_process';
import { parseHop, parsePing, type PingSummary } from './ping-output.js';
import { resourceExhausted } from './api-error.js';
import type { ProbeTarget } from './probe-target.js';

/**
 * The one code path a probe takes (the agent's link prober's too): iputils
 * `ping` started with execFile and fixed arguments (never a shell), from the
 * node's loopback of the target's plane. Traceroute is ping with a growing
 * TTL, one hop at a time, so that it leaves from the same loopback (tracepath
 * cannot pick its source).
 * At most `maxConcurrent` probes run at once; more are refused, not queued.
 */

const MAX_CONCURRENT_PROBES = 2;
/** ping's interval floor for a non-root user; fast enough for 10 echoes. */
const INTERVAL_SECONDS = '0.2';

export interface TraceHop {
  readonly ttl: number;
  readonly address?: string;
  readonly rttMs?: number;
}

export interface TraceResult {
  readonly hops: TraceHop[];
  readonly reached: boolean;
}

/** stdout of ping whatever its exit status: exit 1 means "no reply", which is an answer here. */
export function runPing(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ping', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 }, (err, stdout) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (err && (code === 'ENOENT' || typeof code !== 'number')) {
        reject(new Error(code === 'ENOENT' ? 'ping not found: install iputils-ping' : `ping failed: ${err.message}`));
        return;
      }
      resolve(stdout);
    });
  });
}

export class Prober {
  private running = 0;

  constructor(private readonly maxConcurrent: number = MAX_CONCURRENT_PROBES) {}

  ping(to: ProbeTarget, count: number): Promise<PingSummary> {
    const deadline = Math.ceil(count * Number(INTERVAL_SECONDS)) + 2;
    return this.slot(async () => parsePing(await runPing(
      ['-n', '-c', String(count), '-i', INTERVAL_SECONDS, '-W', '1', '-w', String(deadline), '-I', to.source, to.target],
      (deadline + 3) * 1000,
    )));
  }

  traceroute(to: ProbeTarget, maxHops: number): Promise<TraceResult> {
    return this.slot(async () => {
      const hops: TraceHop[] = [];
      for (let ttl = 1; ttl <= maxHops; ttl++) {
        const answer = parseHop(await runPing(['-n', '-c', '1', '-W', '1', '-t', String(ttl), '-I', to.source, to.target], 4000));
        hops.push({ ttl, ...(answer.address !== undefined ? { address: answer.address } : {}), ...(answer.rttMs !== undefined ? { rttMs: answer.rttMs } : {}) });
        if (answer.reached) return { hops, reached: true };
        if (answer.unreachable) break;
      }
      return { hops, reached: false };
    });
  }

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) {
      throw resourceExhausted(`${this.maxConcurrent} probes are already running on this node`, 'try again in a few seconds');
    }
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
    }
  }
}
