import { Command } from 'commander';
import { setFlagsFromString } from 'node:v8';
import { action } from '../../common/cli.js';
import { UserError } from '../../common/errors.js';
import { createLogger } from '../../common/log.js';
import { loadConfig } from '../config/config.js';
import { RouteDaemon } from '../daemon.js';
import type { ListenAddress } from '../peering/listener.js';

/**
 * `garagenet bgp daemon --config FILE`: runs the route daemon in the
 * foreground until a signal. SIGTERM is a planned restart (graceful: no
 * NOTIFICATION, peers keep our routes for the restart time, kernel routes
 * stay); SIGINT is a full stop with CEASE to every peer.
 */
export function daemonCommand(): Command {
  return new Command('daemon')
    .description('run the BGP route daemon in the foreground (SIGTERM: graceful restart stop; SIGINT: stop with CEASE)')
    .requiredOption('--config <file>', 'route daemon configuration file')
    .option('--listen <address:port>', 'accept BGP connections here instead of the configured listen address (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--control <address>', 'control API: unix:/path or 127.0.0.1:PORT (default: the configured control socket)')
    .option('--metrics <address:port>', 'serve Prometheus metrics on GET /metrics at this loopback address, e.g. 127.0.0.1:9179')
    .option('--graceful-restart', 'we are coming back from a graceful restart: set the R and F bits (RFC 4724), like gobgpd -r')
    .action(action(async (options: { config: string; listen: string[]; control?: string; metrics?: string; gracefulRestart?: boolean }) => {
      boundHeap();
      const config = await loadConfig(options.config);
      const log = createLogger('route-daemon');
      const daemon = await RouteDaemon.start({
        config,
        log,
        ...(options.listen.length > 0 ? { listen: options.listen.map(parseListen) } : {}),
        ...(options.control ? { control: options.control } : {}),
        ...(options.metrics ? { metrics: options.metrics } : {}),
        restarting: options.gracefulRestart ?? false,
      });
      await new Promise<void>((resolve) => {
        let stopping = false;
        // Handlers stay installed (not `once`) so that a second signal during the stop cannot kill the process half-way.
        const stop = (graceful: boolean) => () => {
          if (stopping) return;
          stopping = true;
          log.info({ graceful }, 'stopping on signal');
          void daemon.stop({ graceful }).finally(resolve);
        };
        process.on('SIGTERM', stop(true));
        process.on('SIGINT', stop(false));
      });
    }));
}

/**
 * The daemon's heap is mostly its tables, long-lived and growing slowly,
 * while exporting to many peers makes garbage fast, and dead within a batch.
 * V8's defaults let the old generation grow to two or three times what is
 * live before a full collection (1 GiB peak for ~350 MiB live, ten peers and
 * a full table), and the young generation to 32 MiB. Growing the old one by
 * half at a time and keeping the young one from growing fast keep the peak
 * near what is live. By 30% at a time, a churn's export to nine peers ran a
 * full collection every 150 ms and spent 40% of its time collecting:
 * bench/bgp/churn.js, one run each, re-announcement until idle 2.35 s and
 * 2.49 CPU s at 30%, 2.00 s and 2.21 CPU s at 50%, for 7 MiB more peak RSS
 * (258 MiB); 100% took 0.1 s less again, for 12 MiB more. Flags given to node win.
 */
const HEAP_FLAGS: Readonly<Record<string, number>> = { '--heap-growing-percent': 50, '--semi-space-growth-factor': 1 };

function boundHeap(): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(' ')];
  for (const [flag, value] of Object.entries(HEAP_FLAGS)) {
    if (!given.some((arg) => arg.startsWith(flag))) setFlagsFromString(`${flag}=${value}`);
  }
}

/** "10.0.0.1:179", "[fd00::1]:179" */
function parseListen(text: string): ListenAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new UserError(`--listen "${text}" is not ADDRESS:PORT`, { hint: 'write it like 10.0.0.1:179 or [fd00::1]:179' });
  }
  return { host: m[1]!, port };
}
