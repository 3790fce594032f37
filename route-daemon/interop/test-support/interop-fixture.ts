import { afterAll, beforeAll, expect } from 'vitest';
import { parsePrefix } from '../../../common/prefix.js';
import { parseConfig } from '../../config/config.js';
import { RouteDaemon } from '../../daemon.js';
import type { RouteView } from '../../routing/queries.js';
import { createLab, type Lab } from '../harness.js';
import { waitFor } from '../../../common/test-support/eventually.js';

/**
 * What every interop suite against another BGP daemon shares: a lab, the
 * other daemon in it, and our daemon in the test process on the root end of
 * the veth pair, with sessions over IPv4 and IPv6 on the production plane.
 * Our daemon announces OUR_PREFIXES; the other daemon's AS is authorized for
 * the prefixes its suite names, and INVALID_ORIGIN_PREFIX is authorized for an
 * AS nobody has, so that the other daemon's announcement of it is invalid.
 * The suite gives only the peer-specific parts: how to start the other daemon
 * and which side opens each session.
 */

export const OUR_ASN = 4200000001;
/** The only AS authorized for INVALID_ORIGIN_PREFIX; no daemon in a lab has it. */
const ABSENT_ASN = 4200000099;
export const INVALID_ORIGIN_PREFIX = '10.64.9.0/24';
export const OUR_PREFIXES = { v4: '10.64.1.0/24', v6: 'fd00:64:1::/48' } as const;
/** 65000:1 and OUR_ASN:1:1, on both of OUR_PREFIXES. */
export const OUR_COMMUNITY = 65000 * 65536 + 1;
export const OUR_LARGE_COMMUNITY = [OUR_ASN, 1, 1] as const;

export interface InteropSession {
  /** The peer's name in our config, and the other daemon's protocol or neighbor name for it. */
  readonly name: string;
  readonly family: 'v4' | 'v6';
  /** Which side opens the TCP connection; the other side is passive. */
  readonly opens: 'we' | 'they';
  readonly maxPrefixes?: number;
}

export interface InteropOptions<P> {
  /** Namespace-name prefix of the lab. */
  readonly labPrefix: string;
  readonly peerAsn: number;
  /** What the other daemon's AS is authorized for: "PREFIX max LENGTH". */
  readonly peerAuthorizations: readonly string[];
  readonly sessions: readonly InteropSession[];
  /** How long the sessions may take to come up, the other daemon's connect timers included. */
  readonly establishTimeoutMs: number;
  /** Starts the other daemon in the lab, set up to peer with our daemon listening on `port`. */
  startPeer(lab: Lab, port: number): Promise<P>;
}

export interface Interop<P> {
  readonly lab: Lab;
  /** The other daemon. */
  readonly peer: P;
  /** Our BGP port, on both of the lab's addresses. */
  readonly port: number;
  /** Our running daemon; throws while it is stopped. */
  readonly daemon: RouteDaemon;
  /** Our production Loc-RIB's entry for exactly `prefix`, if any. */
  ours(prefix: string): RouteView | undefined;
  /** Waits until every session is Established. */
  established(): Promise<void>;
  /** Waits until no session is Established. */
  sessionsDown(): Promise<void>;
  /**
   * Stops our daemon as in a graceful restart, runs `whileDown` (the other
   * daemon's side of it), starts our daemon again as restarting, announces
   * `reannounce` (prefix → communities) and waits for the sessions.
   */
  restartOursGracefully(whileDown: () => Promise<void>, reannounce: Readonly<Record<string, readonly number[]>>): Promise<void>;
  /**
   * Stops the other daemon, checks that we keep its `routes` (prefix → session)
   * as stale, starts it again with `restart`, and waits for the sessions and
   * for every one of those routes to be fresh again.
   */
  keepPeerRoutesWhileItRestarts(routes: Readonly<Record<string, string>>, restart: () => Promise<void>): Promise<void>;
}

/** Registers the lab's set-up and clean-up with the enclosing describe block (or file) and returns the handle its tests use. */
export function useInterop<P extends { stop(): Promise<void> }>(options: InteropOptions<P>): Interop<P> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  let lab: Lab | undefined;
  let peer: P | undefined;
  let daemon: RouteDaemon | undefined;
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not running (the lab set-up failed or the test stopped it)`);
    return value;
  };

  const startOurs = async (restarting: boolean): Promise<RouteDaemon> => {
    const at = need(lab, 'the lab');
    daemon = await RouteDaemon.start({
      config: parseConfig(ourConfig(at, options), { file: `${options.labPrefix}.conf` }),
      listen: [{ host: at.ours.v4, port }, { host: at.ours.v6, port }],
      control: false,
      restarting,
    });
    return daemon;
  };
  const allSessions = (up: boolean) => (): boolean =>
    options.sessions.every((s) => (daemon?.neighbor(s.name)?.state === 'Established') === up);
  const sessionNames = options.sessions.map((s) => s.name).join(' and ');

  const fixture: Interop<P> = {
    get lab() { return need(lab, 'the lab'); },
    get peer() { return need(peer, 'the other daemon'); },
    port,
    get daemon() { return need(daemon, 'our daemon'); },
    ours: (prefix) => daemon?.instance('production').lookup({ prefix: parsePrefix(prefix) }),
    established: async () => {
      await waitFor(`sessions ${sessionNames} Established`, allSessions(true), { timeoutMs: options.establishTimeoutMs });
    },
    sessionsDown: async () => {
      await waitFor(`sessions ${sessionNames} to drop`, allSessions(false));
    },
    restartOursGracefully: async (whileDown, reannounce) => {
      await need(daemon, 'our daemon').stop({ graceful: true });
      daemon = undefined;
      await whileDown();
      const production = (await startOurs(true)).instance('production');
      for (const [prefix, communities] of Object.entries(reannounce)) production.announceLocal(parsePrefix(prefix), { communities });
      await fixture.established();
    },
    keepPeerRoutesWhileItRestarts: async (routes, restart) => {
      const prefixes = Object.keys(routes);
      await waitFor(`${prefixes.join(' and ')} present`, () => prefixes.every((p) => fixture.ours(p)));
      await fixture.peer.stop();
      await fixture.sessionsDown();
      for (const [prefix, session] of Object.entries(routes)) expect(fixture.ours(prefix)?.paths[0]).toMatchObject({ peer: session, stale: true });
      await restart();
      await fixture.established();
      await waitFor('the routes to be fresh again', () => prefixes.every((p) => fixture.ours(p)?.paths[0]?.stale === false));
    },
  };

  beforeAll(async () => {
    lab = await createLab(options.labPrefix);
    peer = await options.startPeer(lab, port);
    const production = (await startOurs(false)).instance('production');
    for (const prefix of Object.values(OUR_PREFIXES)) {
      production.announceLocal(parsePrefix(prefix), { communities: [OUR_COMMUNITY], largeCommunities: [OUR_LARGE_COMMUNITY] });
    }
  });

  afterAll(async () => {
    await daemon?.stop();
    await lab?.close();
  });

  return fixture;
}

function ourConfig(lab: Lab, options: InteropOptions<unknown>): string {
  const peers = options.sessions.map((s) => `
[peer ${s.name}]
plane = production
address = ${lab.theirs[s.family]}
asn = ${options.peerAsn}
hold-time = 9
restart-time = 60
${s.opens === 'we' ? 'connect-retry = 1' : 'passive = yes'}
${s.maxPrefixes === undefined ? '' : `max-prefixes = ${s.maxPrefixes}`}
`);
  return `
[router]
asn = ${OUR_ASN}
router-id = 10.0.0.1

[plane production]
pools = 10.64.0.0/10, fd00:64::/32
authorize = ${OUR_PREFIXES.v4} max 24 as ${OUR_ASN}
authorize = ${OUR_PREFIXES.v6} max 48 as ${OUR_ASN}
${options.peerAuthorizations.map((a) => `authorize = ${a} as ${options.peerAsn}`).join('\n')}
authorize = ${INVALID_ORIGIN_PREFIX} max 24 as ${ABSENT_ASN}
${peers.join('')}`;
}
