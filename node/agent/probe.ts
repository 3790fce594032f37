import { run } from '../system/run.js';

/** One ICMP echo from our loopback to a peer's, through its tunnel: the round trip in ms, or null if unanswered within a second. */
export async function probeLatency(source: string, target: string): Promise<number | null> {
  try {
    const out = await run('ping', ['-n', '-q', '-c', '1', '-W', '1', '-I', source, target], { timeoutMs: 3000 });
    const m = /= [\d.]+\/([\d.]+)\//.exec(out);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
