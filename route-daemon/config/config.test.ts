import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oneLine } from '../../common/errors.js';
import { formatPrefix, parseAddress } from '../../common/prefix.js';
import { loadConfig, parseConfig } from './config.js';

const good = `# a garage with two planes
[router]
asn = 4200000001
router-id = 10.64.0.1      # the production loopback
listen = [::]:1179

[plane production]
pools = 10.64.0.0/10, fd00:64::/32
authorize = 10.64.1.0/24 max 24 as 4200000001
authorize = fd00:64:1::/48 max 56 as 4200000001

[plane experimental]
pools = 10.128.0.0/10
max-prefix-length-ipv4 = 28
damping = yes

[peer garage-b]
plane = production
address = 10.64.0.2
asn = 4200000002
max-prefixes = 1000
passive = yes
hold-time = 9

[peer researcher]
plane = experimental
address = fd00:80::2
asn = AS65010
max-as-path-length = 8
max-update-rate = 500
`;

function errorOf(text: string): string {
  try {
    parseConfig(text, { file: '/etc/garagenet/routed.conf' });
  } catch (err) {
    return oneLine(err);
  }
  throw new Error('expected the configuration to be refused');
}

const withRouter = (rest: string): string => `[router]\nasn = 65000\nrouter-id = 10.0.0.1\n${rest}`;

describe('parseConfig', () => {
  it('reads router, planes, authorizations and peers with defaults', () => {
    const config = parseConfig(good, { file: 'routed.conf' });
    expect(config.router).toEqual({ asn: 4200000001, routerId: 0x0a400001, listen: { host: '::', port: 1179 }, controlSocket: '/run/garagenet/routed.sock' });
    const production = config.planes.get('production')!;
    expect(production.pools.map(formatPrefix)).toEqual(['10.64.0.0/10', 'fd00:64::/32']);
    expect(production.authorizations.map((a) => [formatPrefix(a.prefix), a.maxLength, a.originAsn, a.plane])).toEqual([
      ['10.64.1.0/24', 24, 4200000001, 'production'],
      ['fd00:64:1::/48', 56, 4200000001, 'production'],
    ]);
    expect(config.planes.get('experimental')).toMatchObject({ bogons: { maxLengthIpv4: 28 }, damping: true });
    expect(production.damping).toBe(false);
    expect(config.peers).toEqual([
      expect.objectContaining({ name: 'garage-b', plane: 'production', asn: 4200000002, maxPrefixes: 1000, passive: true, holdTimeSeconds: 9, port: 179, line: 17 }),
      expect.objectContaining({ name: 'researcher', plane: 'experimental', address: parseAddress('fd00:80::2'), asn: 65010, maxAsPathLength: 8, maxUpdateRate: 500, holdTimeSeconds: 90, gracefulRestart: true }),
    ]);
  });

  it('names file, line and field, with a hint, for bad values', () => {
    expect(errorOf(withRouter('[plane production]\npools = 10.64.0.0/10\n[peer b]\nplane = production\naddress = 10.64.0.2\nasn = 4294967296\n'))).toBe(
      '/etc/garagenet/routed.conf:9: asn: an AS number is 1 to 4294967295',
    );
    expect(errorOf(withRouter('[plane production]\npools = 10.64.0.0/33\n'))).toBe(
      '/etc/garagenet/routed.conf:5: pools: "10.64.0.0/33" has an invalid prefix length (use 0 to 32 for IPv4)',
    );
    expect(errorOf(withRouter('[plane production]\npools = 10.64.0.1/10\n'))).toMatch(/:5: pools: "10\.64\.0\.1\/10" has host bits set \(did you mean 10\.64\.0\.0\/10\?\)/);
    expect(errorOf('[router]\nasn = 23456\nrouter-id = 10.0.0.1\n')).toMatch(/:2: asn: 23456 is AS_TRANS/);
    expect(errorOf('[router]\nasn = 65000\nrouter-id = 0.0.0.0\n')).toMatch(/:3: router-id: "0\.0\.0\.0" must be a non-zero IPv4 address/);
    expect(errorOf(withRouter('[plane production]\npools = 10.64.0.0/10\n[peer b]\nplane = production\naddress = 10.64.0.2\nasn = 65001\nhold-time = 2\n'))).toMatch(
      /:10: hold-time: must be 0 \(no keepalives\) or 3 to 65535 seconds/,
    );
    expect(errorOf(withRouter('[plane production]\npools = 10.64.0.0/10\nauthorize = 10.64.1.0/24 max 16 as 65000\n'))).toMatch(
      /:6: authorize: max 16 must be between the prefix length 24 and 32/,
    );
    expect(errorOf(withRouter('listen = 0.0.0.0\n'))).toMatch(/:4: listen: write it as ADDRESS:PORT/);
    expect(errorOf(withRouter('[plane production]\npools = 10.64.0.0/10\n[peer b]\nplane = production\naddress = 10.64.0.2\nasn = 65001\npassive = maybe\n'))).toMatch(
      /:10: passive: "maybe" is not yes or no/,
    );
  });

  it('refuses missing sections and settings, pointing at the section', () => {
    expect(errorOf('# empty\n')).toBe('/etc/garagenet/routed.conf: no [router] section (add [router] with asn and router-id)');
    expect(errorOf('[router]\nasn = 65000\n')).toBe('/etc/garagenet/routed.conf:1: router-id: [router] needs router-id (add a line "router-id = ..." to the section)');
    expect(errorOf(withRouter('[plane production]\npools = 10.64.0.0/10\n[peer b]\nplane = production\nasn = 65001\n'))).toMatch(/:6: address: \[peer b\] needs address/);
    expect(errorOf(withRouter('[peer b]\nplane = production\naddress = 10.64.0.2\nasn = 65001\n'))).toMatch(
      /:4: plane: peer b is in plane production, which has no \[plane production\] section \(add \[plane production\] with its pools\)/,
    );
  });

  it('refuses unknown and misspelt settings and sections, suggesting the right one', () => {
    expect(errorOf(withRouter('rooter-id = 1.2.3.4\n'))).toBe('/etc/garagenet/routed.conf:4: rooter-id: unknown setting in [router] (did you mean router-id?)');
    expect(errorOf(withRouter('[neighbor b]\n'))).toMatch(/:4: unknown section \[neighbor\] \(sections are \[router\], \[plane NAME\] and \[peer NAME\]\)/);
    expect(errorOf(withRouter('[plane staging]\npools = 10.0.0.0/8\n'))).toMatch(/:4: section: "staging" is not a plane \(planes are production and experimental\)/);
    expect(errorOf('asn = 1\n')).toMatch(/:1: asn: setting before any \[section\]/);
    expect(errorOf('[router\n')).toMatch(/:1: "\[router" is not a section header/);
    expect(errorOf('[router]\njust words\n')).toMatch(/:2: "just words" is not a "key = value" line/);
  });

  it('refuses duplicates: settings, peers, addresses within a plane, and overlapping planes', () => {
    expect(errorOf('[router]\nasn = 65000\nasn = 65001\nrouter-id = 10.0.0.1\n')).toMatch(/:3: asn: set twice \(first on line 2\)/);
    const peerB = '[peer b]\nplane = production\naddress = 10.64.0.2\nasn = 65001\n';
    expect(errorOf(withRouter(`[plane production]\npools = 10.64.0.0/10\n${peerB}${peerB}`))).toMatch(/:10: peer b is defined twice/);
    expect(errorOf(withRouter(`[plane production]\npools = 10.64.0.0/10\n${peerB}${peerB.replace('[peer b]', '[peer c]')}`))).toMatch(
      /:10: address: address is already used by peer b \(line 6\) in plane production/,
    );
    expect(errorOf(withRouter('[plane production]\npools = 10.64.0.0/10\n[plane experimental]\npools = 10.64.128.0/17\n'))).toBe(
      '/etc/garagenet/routed.conf: pools: pool 10.64.128.0/17 of experimental overlaps pool 10.64.0.0/10 of production (the planes must use disjoint address space)',
    );
  });
});

describe('experiment peers', () => {
  const planes = '[plane production]\npools = 10.64.0.0/10\n[plane experimental]\npools = 10.128.0.0/10\n';

  it('reads the experiment a researcher\'s router is attached for, with its community limit', () => {
    const config = parseConfig(withRouter(`${planes}[peer exp]\nplane = experimental\nexperiment = alice-bgp\naddress = 10.128.0.2\nasn = 65010\nmax-communities = 4\n`), { file: 'x.conf' });
    expect(config.peers[0]).toMatchObject({ name: 'exp', experiment: 'alice-bgp', maxCommunities: 4 });
  });

  it('takes the registry\'s per-minute update limit, but not together with the per-second one', () => {
    const peer = `${planes}[peer exp]\nplane = experimental\naddress = 10.128.0.2\nasn = 65010\nmax-updates-per-minute = 30\n`;
    expect(parseConfig(withRouter(peer), { file: 'x.conf' }).peers[0]?.maxUpdateRate).toBe(0.5);
    expect(errorOf(withRouter(`${peer}max-update-rate = 5\n`))).toMatch(/:8: max-updates-per-minute: max-update-rate and max-updates-per-minute are both set \(keep one of the two\)/);
  });

  it('refuses an experiment attachment outside the experimental plane, and a bad experiment name', () => {
    expect(errorOf(withRouter(`${planes}[peer exp]\nplane = production\nexperiment = alice-bgp\naddress = 10.64.0.2\nasn = 65010\n`))).toMatch(
      /:8: plane: peer exp is attached for experiment alice-bgp but is in plane production \(.*set plane = experimental\)/,
    );
    expect(errorOf(withRouter(`${planes}[peer exp]\nplane = experimental\nexperiment = Alice_\naddress = 10.128.0.2\nasn = 65010\n`))).toMatch(
      /:10: experiment: "Alice_" is not an experiment name/,
    );
  });
});

describe('loadConfig', () => {
  it('reads a file and names it when it cannot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'routed-config-'));
    try {
      const path = join(dir, 'routed.conf');
      await writeFile(path, good);
      expect((await loadConfig(path)).peers).toHaveLength(2);
      await expect(loadConfig(join(dir, 'missing.conf'))).rejects.toThrow(/missing\.conf: cannot read the configuration: ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
