import { parsePing } from './api/ping-output.js';
import { runPing } from './api/probes.js';

/** One ICMP echo from our loopback to a peer's, through its tunnel: the round trip in ms, or null if unanswered within a second. */
export async function probeLatency(source: string, target: string): Promise<number | null> {
  try {
    return parsePing(await runPing(['-n', '-c', '1', '-W', '1', '-I', source, target], 3000)).rttMs[0] ?? null;
  } catch {
    return null;
  }
}
