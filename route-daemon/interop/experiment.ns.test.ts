import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPrefix, parsePrefix } from '../../common/prefix.js';
import { parseConfig } from '../config/config.js';
import { RouteDaemon } from '../daemon.js';
import { experimentAuditEntry, type ExperimentAuditEntry } from '../experiment-audit.js';
import type { RouteAuthorization } from '../policy/origin-validation.js';
import type { PlaneInstance } from '../routing/plane-instance.js';
import { createLab, startBird, type Bird, type Lab } from './harness.js';
import { waitFor } from '../../common/test-support/eventually.js';

/**
 * A researcher's router (real BIRD 2, in its own namespace) attached to our
 * daemon's experimental instance, and a production neighbor (another BIRD,
 * in another namespace) on the production instance. The researcher's BIRD
 * tries everything the guard rails are there for; each attempt must be
 * refused or damped with its reason in the experiment's audit log, and the
 * production instance's routes must never move. Removing the experiment's
 * peer (the control-plane kill switch) must leave nothing of it behind.
 */

const OUR_ASN = 4200000001;
const PROD_ASN = 4200000002;
const EXP_ASN = 4200000100;
const OTHER_EXP_ASN = 4200000101;
const EXPERIMENT = 'alice-bgp';
const MAX_PREFIXES = 5;
const PORT = 20000 + Math.floor(Math.random() * 20000);

// What the registry publishes for two experiments (registry/experiments.ts): their slot, more-specifics down to /28, from their ASN.
const EXPERIMENT_AUTHORIZATIONS: RouteAuthorization[] = [
  { prefix: parsePrefix('10.128.1.0/24'), maxLength: 28, originAsn: EXP_ASN, plane: 'experimental' },
  { prefix: parsePrefix('10.128.2.0/24'), maxLength: 28, originAsn: OTHER_EXP_ASN, plane: 'experimental' },
];

function ourConfig(exp: Lab, prod: Lab): string {
  return `
[router]
asn = ${OUR_ASN}
router-id = 10.0.0.1

[plane production]
pools = 10.64.0.0/10
authorize = 10.64.1.0/24 max 24 as ${OUR_ASN}
authorize = 10.64.2.0/24 max 24 as ${PROD_ASN}

[plane experimental]
pools = 10.128.0.0/10
max-prefix-length-ipv4 = 32
damping = yes

[peer prod]
plane = production
address = ${prod.theirs.v4}
asn = ${PROD_ASN}
passive = yes
hold-time = 9

[peer exp-alice]
plane = experimental
experiment = ${EXPERIMENT}
address = ${exp.theirs.v4}
asn = ${EXP_ASN}
passive = yes
hold-time = 9
max-prefixes = ${MAX_PREFIXES}
max-as-path-length = 4
max-communities = 3
`;
}

function bgpSession(lab: Lab, options: { asn: number; exportFilter: string }): string {
  return `
protocol bgp ours {
  local ${lab.theirs.v4} as ${options.asn};
  neighbor ${lab.ours.v4} port ${PORT} as ${OUR_ASN};
  hold time 9; keepalive time 3; connect retry time 1; connect delay time 1; error wait time 1, 2;
  ipv4 { import all; export ${options.exportFilter}; };
}`;
}

/** Every static protocol but the allocation and the flapping prefix starts disabled; the test enables them one by one. */
function researcherBird(lab: Lab): string {
  const many = Array.from({ length: MAX_PREFIXES }, (_, i) => `route 10.128.1.${64 + i * 16}/28 unreachable;`).join(' ');
  return `
router id 10.0.0.2;
protocol device {}
protocol static s_alloc { ipv4; route 10.128.1.0/24 unreachable; }
protocol static s_flap { ipv4; route 10.128.1.16/28 unreachable; }
protocol static s_prod { disabled; ipv4; route 10.64.2.0/24 unreachable; }
protocol static s_prodmore { disabled; ipv4; route 10.64.2.128/25 unreachable; }
protocol static s_other { disabled; ipv4; route 10.128.2.0/24 unreachable; route 10.128.2.0/25 unreachable; }
protocol static s_toolong { disabled; ipv4; route 10.128.1.8/29 unreachable; }
protocol static s_longpath { disabled; ipv4; route 10.128.1.32/28 unreachable; }
protocol static s_tagged { disabled; ipv4; route 10.128.1.48/28 unreachable; }
protocol static s_many { disabled; ipv4; ${many} }
filter researcher_out {
  if net = 10.128.1.32/28 then { ${`bgp_path.prepend(${EXP_ASN}); `.repeat(4)}}
  if net = 10.128.2.0/24 then bgp_path.prepend(${OTHER_EXP_ASN});
  if net = 10.128.1.48/28 then { bgp_community.add((65000, 1)); bgp_community.add((65000, 2)); bgp_community.add((65000, 3)); bgp_large_community.add((${EXP_ASN}, 1, 1)); }
  accept;
}
${bgpSession(lab, { asn: EXP_ASN, exportFilter: 'filter researcher_out' })}
`;
}

function productionBird(lab: Lab): string {
  return `
router id 10.0.0.3;
protocol device {}
protocol static garage { ipv4; route 10.64.2.0/24 unreachable; }
${bgpSession(lab, { asn: PROD_ASN, exportFilter: 'all' })}
`;
}

let expLab: Lab | undefined;
let prodLab: Lab | undefined;
let researcher: Bird;
let production: Bird;
let daemon: RouteDaemon | undefined;
const audit: ExperimentAuditEntry[] = [];
let productionAudit = 0;
let productionBaseline: { routes: string; changes: number };

const experimental = (): PlaneInstance => daemon!.instance('experimental');
const lookup = (prefix: string) => experimental().lookup({ prefix: parsePrefix(prefix) });

/** The production Loc-RIB as text: prefix, peer, AS path and validation of every path. */
function productionRib(): string {
  const { routes } = daemon!.instance('production').listRoutes({ limit: 1000 });
  return JSON.stringify(routes.map((r) => [formatPrefix(r.prefix), r.paths.map((p) => [p.peer, p.attributes.asPath, p.validation, p.best])]));
}

function expectProductionUnchanged(): void {
  expect(productionRib()).toBe(productionBaseline.routes);
  expect(daemon!.instance('production').counters().bestRouteChanges).toBe(productionBaseline.changes);
  expect(productionAudit).toBe(0);
}

const auditFor = (prefix: string, event: string): ExperimentAuditEntry | undefined =>
  audit.find((e) => e.event === event && e.detail.startsWith(`${prefix}: `));

beforeAll(async () => {
  try {
    expLab = await createLab('gnexp');
    prodLab = await createLab('gnprd');
    researcher = await startBird(expLab, researcherBird(expLab));
    production = await startBird(prodLab, productionBird(prodLab));
    // The daemon starts with production only; the experiment's router is attached to the running daemon, as the node agent will.
    const config = parseConfig(ourConfig(expLab, prodLab), { file: 'experiment.conf' });
    const attachment = config.peers.find((p) => p.experiment === EXPERIMENT)!;
    daemon = await RouteDaemon.start({
      config: { ...config, peers: config.peers.filter((p) => p !== attachment) },
      listen: [{ host: expLab.ours.v4, port: PORT }, { host: prodLab.ours.v4, port: PORT }],
      control: false,
      authorizations: EXPERIMENT_AUTHORIZATIONS,
      audit: (event) => {
        // What the node agent forwards to the registry's AppendAuditLog.
        const entry = experimentAuditEntry(event);
        if (entry) audit.push(entry);
        else productionAudit++;
      },
    });
    daemon.instance('production').announceLocal(parsePrefix('10.64.1.0/24'));
    daemon.addPeer(attachment);
  } catch (err) {
    await cleanup();
    throw err;
  }
});

async function cleanup(): Promise<void> {
  await daemon?.stop().catch(() => undefined);
  await expLab?.close();
  await prodLab?.close();
}

afterAll(cleanup);

describe('a researcher\'s BIRD on the experimental plane', () => {
  it('gets its allocation in, with the experiment\'s AS path, and nowhere near production', async () => {
    await waitFor('both sessions Established', () => daemon!.neighbor('exp-alice')?.state === 'Established' && daemon!.neighbor('prod')?.state === 'Established', { timeoutMs: 20_000 });
    const route = await waitFor('the allocation in the experimental RIB', () => lookup('10.128.1.0/24'));
    expect(route.paths).toEqual([expect.objectContaining({ peer: 'exp-alice', validation: 'valid', best: true, suppressed: false, attributes: expect.objectContaining({ asPath: [{ type: 'sequence', asns: [EXP_ASN] }] }) })]);
    await waitFor('the production route in the production RIB', () => daemon!.instance('production').lookup({ prefix: parsePrefix('10.64.2.0/24') }));
    await waitFor('the production BIRD to have our production prefix', async () => (await production.birdc('show route 10.64.1.0/24')).includes('10.64.1.0/24'));
    expect(daemon!.instance('production').lookup({ prefix: parsePrefix('10.128.1.0/24') })).toBeUndefined();
    expect(await production.birdc('show route 10.128.1.0/24')).not.toContain('10.128.1.0/24');
    // Our production prefix never reaches the researcher either.
    expect(await researcher.birdc('show route 10.64.1.0/24')).not.toContain('10.64.1.0/24');
    productionBaseline = { routes: productionRib(), changes: daemon!.instance('production').counters().bestRouteChanges };
    await waitFor('the flapping prefix in the experimental RIB', () => lookup('10.128.1.16/28'));
    expect(audit.map((e) => [e.event, e.detail]).sort()).toEqual([
      ['import.accepted', '10.128.1.0/24: valid (peer exp-alice, experimental plane)'],
      ['import.accepted', '10.128.1.16/28: valid (peer exp-alice, experimental plane)'],
    ]);
  });

  it('has every out-of-bounds announcement refused with its reason in the audit log', async () => {
    for (const protocol of ['s_prod', 's_prodmore', 's_other', 's_toolong', 's_longpath', 's_tagged']) await researcher.birdc(`enable ${protocol}`);
    const expected: [string, string, RegExp][] = [
      ['10.64.2.0/24', 'import.rejected.plane-pool', /outside the plane's pools/],
      ['10.64.2.128/25', 'import.rejected.plane-pool', /outside the plane's pools/],
      ['10.128.2.0/25', 'import.rejected.origin-validation', new RegExp(`invalid: origin AS${EXP_ASN} not authorized \\(covered by 10\\.128\\.2\\.0/24 max /28 AS${OTHER_EXP_ASN}\\)`)],
      ['10.128.2.0/24', 'import.rejected.experiment-origin', new RegExp(`origin AS${OTHER_EXP_ASN} is not the experiment's AS${EXP_ASN}`)],
      ['10.128.1.8/29', 'import.rejected.origin-validation', new RegExp(`invalid: origin AS${EXP_ASN} not authorized \\(covered by 10\\.128\\.1\\.0/24 max /28`)],
      ['10.128.1.32/28', 'import.rejected.as-path-length', /AS path length 5 exceeds 4/],
      ['10.128.1.48/28', 'import.rejected.community-count', /4 communities exceed 3/],
    ];
    for (const [prefix, event, reason] of expected) {
      const entry = await waitFor(`audit entry ${event} for ${prefix}`, () => auditFor(prefix, event), { timeoutMs: 10_000 });
      expect(entry).toMatchObject({ experiment: EXPERIMENT });
      expect(entry.detail).toMatch(reason);
      expect(entry.detail).toContain('(peer exp-alice, experimental plane)');
      expect(lookup(prefix)).toBeUndefined();
    }
    expect(experimental().counters().routes.ipv4).toBe(2);
    expectProductionUnchanged();
  });

  it('has a quickly flapping prefix suppressed by damping, with the reason in the audit log', async () => {
    const flaps = 7; // RFC 7196: 1000 per withdrawal against a suppress threshold of 6000
    for (let i = 0; i < flaps; i++) {
      await researcher.birdc('disable s_flap');
      await waitFor(`withdrawal ${i + 1} of the flapping prefix`, () => lookup('10.128.1.16/28') === undefined, { timeoutMs: 5_000, intervalMs: 20 });
      await researcher.birdc('enable s_flap');
      await waitFor(`re-announcement ${i + 1} of the flapping prefix`, () => lookup('10.128.1.16/28'), { timeoutMs: 5_000, intervalMs: 20 });
    }
    const entry = auditFor('10.128.1.16/28', 'import.damped');
    expect(entry?.detail).toMatch(/suppressed: penalty \d+ above 6000, reusable below 750 in \d+ s/);
    expect(lookup('10.128.1.16/28')?.paths).toEqual([expect.objectContaining({ peer: 'exp-alice', suppressed: true, best: false })]);
    expect(audit.at(-1)).toMatchObject({ event: 'import.accepted', detail: expect.stringMatching(/^10\.128\.1\.16\/28: valid, held back by damping /) });
    // The allocation itself never flapped and stays usable.
    expect(lookup('10.128.1.0/24')?.paths[0]).toMatchObject({ best: true, suppressed: false });
    expectProductionUnchanged();
  });

  it('has the session ceased when the experiment goes over its prefix limit, and back once it behaves', async () => {
    await researcher.birdc('enable s_many');
    const entry = await waitFor('the max-prefix audit entry', () => audit.find((e) => e.event === 'session.ceased.max-prefix'), { timeoutMs: 10_000 });
    expect(entry.detail).toMatch(new RegExp(`\\d+ prefixes exceed the limit of ${MAX_PREFIXES} of experiment ${EXPERIMENT} \\(peer exp-alice, experimental plane\\)`));
    await waitFor('BIRD to report our CEASE', async () => /Received: Maximum number of prefixes reached/.test(await researcher.birdc('show protocols all ours')), { timeoutMs: 10_000 });
    await researcher.birdc('disable s_many');
    await waitFor('the session back', () => daemon!.neighbor('exp-alice')?.state === 'Established', { timeoutMs: 15_000 });
    await waitFor('the allocation back', () => lookup('10.128.1.0/24'));
    expect(lookup('10.128.1.64/28')).toBeUndefined();
    expectProductionUnchanged();
  });

  it('leaves no trace of the experiment in the experimental RIB once its peer is removed', async () => {
    await waitFor('the researcher\'s routes present before the stop', () => (experimental().peerCounters('exp-alice')?.accepted ?? 0) > 0);
    const refusedBefore = daemon!.refusedConnections;
    daemon!.removePeer('exp-alice');
    expect(audit.at(-1)).toMatchObject({ experiment: EXPERIMENT, event: 'session.removed', detail: expect.stringMatching(/^peer removed, its [1-9]\d* routes withdrawn/) });
    expect(experimental().counters().routes).toEqual({ ipv4: 0, ipv6: 0 });
    expect(experimental().counters().paths).toBe(0);
    expect(experimental().listRoutes({ limit: 100, filter: { peer: 'exp-alice' } }).routes).toEqual([]);
    expect(experimental().peerCounters('exp-alice')).toMatchObject({ up: false, accepted: 0 });
    await waitFor('BIRD to see the session cut', async () => /Received: Peer de-configured/.test(await researcher.birdc('show protocols all ours')), { timeoutMs: 10_000 });
    // BIRD keeps trying (error wait 1-2 s); the daemon must not take it back.
    await waitFor('BIRD to try again and be refused', () => daemon!.refusedConnections > refusedBefore, { timeoutMs: 10_000 });
    expect(await researcher.birdc('show protocols ours')).not.toContain('Established');
    expect(experimental().counters().routes).toEqual({ ipv4: 0, ipv6: 0 });
    expect(() => daemon!.removePeer('exp-alice')).toThrow(/no peer named exp-alice/);
    expectProductionUnchanged();
  });
});
