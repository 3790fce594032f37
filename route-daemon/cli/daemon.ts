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
      boundHeapGrowth();
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
 * while exporting to many peers makes garbage fast: V8's default lets the
 * heap grow to two or three times what is live before a full collection
 * (1 GiB peak for ~350 MiB live, ten peers and a full table). Growing by 30%
 * at a time costs some more collections and keeps the peak near what is
 * live. A --heap-growing-percent given to node wins.
 */
const HEAP_GROWING_PERCENT = 30;

function boundHeapGrowth(): void {
  if (process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent')) || process.env.NODE_OPTIONS?.includes('--heap-growing-percent')) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
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
