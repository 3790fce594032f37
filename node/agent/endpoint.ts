import { spawn, type ChildProcess } from 'node:child_process';
import { oneLine } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { run } from '../system/run.js';

/**
 * The address peers should dial: the source address of our default route (a
 * kernel lookup, nothing is sent). None without a default route; a node behind
 * NAT registers its inside address, and peers learn the real one from its
 * first handshake (WireGuard roaming) since it keeps its tunnels alive.
 */
export async function detectEndpointHost(): Promise<string | undefined> {
  for (const [family, probe] of [['-4', '192.0.2.1'], ['-6', '2001:db8::1']] as const) {
    try {
      const routes = JSON.parse(await run('ip', ['-j', family, 'route', 'get', probe])) as { prefsrc?: string }[];
      const source = routes[0]?.prefsrc;
      if (source) return family === '-6' ? `[${source}]` : source;
    } catch {
      // no route in this family
    }
  }
  return undefined;
}

/** `host:port` to host (brackets kept for IPv6, as detectEndpointHost gives it). */
export function endpointHost(endpoint: string | undefined): string | undefined {
  return endpoint?.replace(/:\d+$/, '');
}

/**
 * The endpoint to register after the node's outgoing address moved from
 * `previousLocal` to `currentLocal`, or undefined to leave the registry as it
 * is. Only an endpoint that was the node's own local address is followed: one
 * the operator gave by hand (a port forward on a NAT router) or none (behind
 * NAT) says nothing about the local address and stays.
 */
export function endpointAfterMove(
  registered: string | undefined,
  move: { previousLocal: string | undefined; currentLocal: string | undefined; port: number },
): string | undefined {
  const { previousLocal, currentLocal, port } = move;
  if (registered === undefined || currentLocal === undefined || currentLocal === previousLocal) return undefined;
  if (endpointHost(registered) !== previousLocal) return undefined;
  const wanted = `${currentLocal}:${port}`;
  return wanted === registered ? undefined : wanted;
}

/** Events that may move the outgoing address come in bursts (address gone, address added, route added). */
const SETTLE_MS = 200;
/** A check now and then in case the monitor missed something or died. */
const RECHECK_MS = 15_000;

export interface EndpointReporterOptions {
  /** The endpoint the registry holds for us now (from the identity at start). */
  registered: string | undefined;
  port: number;
  report: (endpoints: string[]) => Promise<unknown>;
  /** The outgoing address changed (connections from the old one are dead), before any report. */
  addressMoved: () => void;
  log: Logger;
}

/**
 * Follows the node's outgoing address (`ip monitor address route`, the
 * kernel's change events, plus a slow recheck) and tells the registry when
 * the endpoint peers dial has moved, so they retarget their tunnels from the
 * watch stream. A report that fails (registry away) is tried again at the next
 * event or recheck.
 */
export class EndpointReporter {
  private registered: string | undefined;
  private local: string | undefined;
  /** The endpoint still to be reported after a failure. */
  private pending: string | undefined;
  private monitor: ChildProcess | undefined;
  private settle: NodeJS.Timeout | undefined;
  private readonly recheck: NodeJS.Timeout;
  private checking: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(private readonly options: EndpointReporterOptions, local: string | undefined) {
    this.registered = options.registered;
    this.local = local;
    this.recheck = setInterval(() => this.schedule(0), RECHECK_MS);
    this.startMonitor();
  }

  static async start(options: EndpointReporterOptions): Promise<EndpointReporter> {
    return new EndpointReporter(options, await detectEndpointHost());
  }

  /** An agent killed outright leaves the monitor behind until its next event, when the closed pipe ends it. */
  private startMonitor(): void {
    const child = spawn('ip', ['-o', 'monitor', 'address', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.monitor = child;
    child.stdout.on('data', () => this.schedule(SETTLE_MS));
    child.on('error', (err) => this.options.log.warn({ err: oneLine(err) }, 'cannot follow address changes; checking every 15 s'));
    child.on('exit', () => {
      if (this.monitor === child) this.monitor = undefined;
    });
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.settle);
    this.settle = setTimeout(() => {
      this.checking = this.checking.then(() => this.check());
    }, delayMs);
  }

  private async check(): Promise<void> {
    if (this.closed) return;
    if (!this.monitor) this.startMonitor();
    const current = await detectEndpointHost();
    const moved = endpointAfterMove(this.pending ?? this.registered, { previousLocal: this.local, currentLocal: current, port: this.options.port });
    if (current !== undefined && current !== this.local) {
      this.local = current;
      this.options.addressMoved();
    }
    const wanted = moved ?? this.pending;
    if (wanted === undefined || this.closed) return;
    const log = this.options.log.child({ endpoint: wanted, previous: this.registered });
    try {
      await this.options.report([wanted]);
      this.registered = wanted;
      this.pending = undefined;
      log.info('reported a new endpoint to the registry');
    } catch (err) {
      this.pending = wanted;
      log.warn({ err: oneLine(err) }, 'cannot report the new endpoint yet; will try again');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.settle);
    clearInterval(this.recheck);
    this.monitor?.kill();
    await this.checking;
  }
}
