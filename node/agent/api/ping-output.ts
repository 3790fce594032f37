/**
 * What iputils `ping -n` printed, as data. Pure: the probes module runs ping
 * with fixed arguments and hands its stdout here.
 */

export interface PingSummary {
  readonly sent: number;
  readonly received: number;
  /** One per echo reply, in the order they came. */
  readonly rttMs: number[];
}

/** One `ping -c 1 -t TTL` toward the target: who answered, and whether it was the target. */
export interface HopAnswer {
  readonly address?: string;
  readonly reached: boolean;
  /** The answer was "unreachable": a larger TTL would meet the same router. */
  readonly unreachable: boolean;
  readonly rttMs?: number;
}

const REPLY = /^\d+ bytes from ([0-9a-fA-F.:]+?):? icmp_seq=\d+ .*time=([\d.]+) ms/;
const ERROR_FROM = /^From ([0-9a-fA-F.:]+?):? icmp_seq=\d+ /;
const SUMMARY = /^(\d+) packets transmitted, (\d+) (?:packets )?received/;

export function parsePing(stdout: string): PingSummary {
  const rttMs: number[] = [];
  let sent = 0;
  let received = 0;
  for (const line of stdout.split('\n')) {
    const reply = REPLY.exec(line);
    if (reply) rttMs.push(Number(reply[2]));
    const summary = SUMMARY.exec(line);
    if (summary) {
      sent = Number(summary[1]);
      received = Number(summary[2]);
    }
  }
  return { sent, received, rttMs };
}

export function parseHop(stdout: string): HopAnswer {
  for (const line of stdout.split('\n')) {
    const reply = REPLY.exec(line);
    if (reply) return { address: reply[1]!, reached: true, unreachable: false, rttMs: Number(reply[2]) };
    const error = ERROR_FROM.exec(line);
    // Time exceeded from a router on the way, or unreachable from the last one that had no route.
    if (error) return { address: error[1]!, reached: false, unreachable: /unreachable/i.test(line) };
  }
  return { reached: false, unreachable: false };
}
