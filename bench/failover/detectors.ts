import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../node/system/run.js';
import { startBfdPeer, type BfdPeerProcess } from '../../node/test-support/bfd-peer.js';
import type { Tunnel } from '../../node/test-support/tunnels.js';

/**
 * Something that detects a dead tunnel: garagenet's BFD, or a reference
 * implementation run side by side on its own tunnel over the same line.
 * Times are wall-clock milliseconds (performance.timeOrigin + now), the
 * clock the probes use too.
 */
export interface Detector {
  name: string;
  /** Waits until both ends are Up on their fast timers; returns the negotiated detection time. */
  waitUp(timeoutMs: number): Promise<{ detectionMs: number }>;
  /** A mark to pass to the next two calls: only state changes after it count. */
  mark(): Promise<unknown>;
  /** When the last of the two ends went Down after `mark`. */
  downAt(mark: unknown, timeoutMs: number): Promise<number>;
  /** When the last of the two ends came Up after `mark`. */
  upAt(mark: unknown, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

/** garagenet's own BFD (node/bfd), one process per end. */
export async function garagenetBfd(tunnel: Tunnel, options: { txMs: number; multiplier: number; tempPrefix: string }): Promise<Detector> {
  const ends: BfdPeerProcess[] = [];
  for (const [self, other] of [[tunnel.a, tunnel.b], [tunnel.b, tunnel.a]] as const) {
    ends.push(await startBfdPeer(self.garage.netns, { local: self.address, peer: other.address, ...options }));
  }
  const lastOf = async (to: string, mark: unknown, timeoutMs: number): Promise<number> => {
    const marks = mark as number[];
    const events = await Promise.all(ends.map((end, i) => end.waitState(to, marks[i]!, timeoutMs)));
    return Math.max(...events.map((e) => e.atMs as number));
  };
  return {
    name: `garagenet BFD ${options.txMs} ms x ${options.multiplier}`,
    async waitUp(timeoutMs): Promise<{ detectionMs: number }> {
      const statuses = await Promise.all(ends.map((end) => end.waitSettled(timeoutMs)));
      return { detectionMs: Math.max(...statuses.map((s) => (s.detectionTimeUs as number) / 1000)) };
    },
    mark: () => Promise.resolve(ends.map((end) => end.child.lines.length)),
    downAt: (mark, timeoutMs) => lastOf('Down', mark, timeoutMs),
    upAt: (mark, timeoutMs) => lastOf('Up', mark, timeoutMs),
    async stop(): Promise<void> {
      for (const end of ends) await end.stop();
    },
  };
}

/**
 * BIRD 2's BFD, one daemon per garage (BIRD listens on the wildcard address,
 * so two daemons in one namespace would steal each other's packets), with
 * one session per given tunnel at that tunnel's timers. State changes are
 * read from its log (microsecond timestamps); one Detector per tunnel.
 */
export async function birdBfd(
  sessions: Array<{ tunnel: Tunnel; txMs: number }>,
  options: { multiplier: number; tempPrefix: string },
): Promise<Detector[]> {
  const dir = await mkdtemp(join(tmpdir(), `${options.tempPrefix}-bird-`));
  const first = sessions[0]?.tunnel;
  if (first === undefined) return [];
  const daemons = [
    { netns: first.a.garage.netns, name: 'a', side: (t: Tunnel) => ({ self: t.a, other: t.b }) },
    { netns: first.b.garage.netns, name: 'b', side: (t: Tunnel) => ({ self: t.b, other: t.a }) },
  ];
  for (const daemon of daemons) {
    const blocks = sessions.map(({ tunnel, txMs }) => {
      const { self, other } = daemon.side(tunnel);
      return `  interface "${self.interface.name}" { min rx interval ${txMs} ms; min tx interval ${txMs} ms; multiplier ${options.multiplier}; };
  neighbor ${other.address} local ${self.address};`;
    });
    const config = `router id ${daemon.side(first).self.address};
log "${dir}/${daemon.name}.log" all;
timeformat log "%F %T.%6f";
debug protocols all;
protocol device {}
protocol bfd {
${blocks.join('\n')}
}
`;
    await writeFile(join(dir, `${daemon.name}.conf`), config);
    const files = ['-c', `${daemon.name}.conf`, '-s', `${daemon.name}.ctl`, '-P', `${daemon.name}.pid`].map((f) => (f.startsWith('-') ? f : join(dir, f)));
    await run('bird', files, { netns: daemon.netns });
  }
  /** Times of "Session to PEER changed state from ... to STATE" in one daemon's log. */
  const changes = async (daemon: string, peer: string, to: string): Promise<number[]> => {
    const log = await readFile(join(dir, `${daemon}.log`), 'utf8').catch(() => '');
    const pattern = new RegExp(`^(\\S+ \\S+) <TRACE> \\S+ Session to ${peer.replaceAll('.', '\\.')} changed state from \\w+ to ${to}$`, 'gm');
    return [...log.matchAll(pattern)].map((m) => {
      const stamp = m[1] ?? '';
      return new Date(stamp.replace(' ', 'T')).getTime() + Number(`0.${stamp.split('.')[1]?.slice(3) ?? '0'}`);
    });
  };
  let stopped = false;
  return sessions.map(({ tunnel, txMs }): Detector => {
    const lastOf = async (to: string, mark: unknown, timeoutMs: number): Promise<number> => {
      const since = mark as number;
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const times = await Promise.all(daemons.map(async (d) => (await changes(d.name, d.side(tunnel).other.address, to)).find((t) => t >= since)));
        if (times.every((t) => t !== undefined)) return Math.max(...(times as number[]));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`BIRD BFD to ${tunnel.b.address} did not go ${to} on both ends within ${timeoutMs} ms`);
    };
    return {
      name: `BIRD 2 BFD ${txMs} ms x ${options.multiplier}`,
      async waitUp(timeoutMs): Promise<{ detectionMs: number }> {
        const deadline = Date.now() + timeoutMs;
        let last = '';
        while (Date.now() < deadline) {
          const rows = await Promise.all(
            daemons.map((d) => run('birdc', ['-s', join(dir, `${d.name}.ctl`), 'show', 'bfd', 'sessions'], { netns: d.netns })),
          );
          // "10.255.16.5  wgif  Up  12:00:49.542  0.050  0.150": interval and timeout (= detection time) in seconds.
          const parsed = rows.map((text, i) => {
            const peer = daemons[i]!.side(tunnel).other.address.replaceAll('.', '\\.');
            return new RegExp(`^${peer}\\s+\\S+\\s+Up\\s+\\S+\\s+([\\d.]+)\\s+([\\d.]+)\\s*$`, 'm').exec(text);
          });
          last = rows.join('\n');
          if (parsed.every((m) => m !== null && Math.round(Number(m[1]) * 1000) === txMs)) {
            return { detectionMs: Math.max(...parsed.map((m) => Number(m![2]) * 1000)) };
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(`BIRD BFD did not come Up at ${txMs} ms within ${timeoutMs} ms:\n${last}`);
      },
      // BIRD's log has wall-clock times: a mark is the wall-clock time now.
      mark: () => Promise.resolve(Date.now()),
      downAt: (mark, timeoutMs) => lastOf('Down', mark, timeoutMs),
      upAt: (mark, timeoutMs) => lastOf('Up', mark, timeoutMs),
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        for (const d of daemons) await run('birdc', ['-s', join(dir, `${d.name}.ctl`), 'down'], { netns: d.netns }).catch(() => undefined);
      },
    };
  });
}
