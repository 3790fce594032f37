import { describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix } from '../../common/prefix.js';
import { parseConfig } from './config.js';
import { createInstances } from './instances.js';

const text = `[router]
asn = 65000
router-id = 10.64.0.1
[plane production]
pools = 10.64.0.0/10
authorize = 10.64.1.0/24 max 24 as 65000
[plane experimental]
pools = 10.128.0.0/10
`;

describe('createInstances', () => {
  it('builds one instance per configured plane with its pools and authorizations', () => {
    const instances = createInstances(parseConfig(text, { file: 'routed.conf' }), {
      authorizations: [{ prefix: parsePrefix('10.128.4.0/24'), maxLength: 24, originAsn: 65000, plane: 'experimental' }],
    });
    expect([...instances.keys()]).toEqual(['production', 'experimental']);
    const production = instances.get('production')!;
    const experimental = instances.get('experimental')!;
    production.announceLocal(parsePrefix('10.64.1.0/24'));
    experimental.announceLocal(parsePrefix('10.128.4.0/24'));
    // Each plane accepts only its own authorizations and pools.
    expect(() => production.announceLocal(parsePrefix('10.128.4.0/24'))).toThrow(/outside the plane's pools/);
    expect(() => experimental.announceLocal(parsePrefix('10.64.1.0/24'))).toThrow(/outside the plane's pools/);
    expect(production.lookup({ address: parseAddress('10.128.4.1') })).toBeUndefined();
    expect(experimental.counters().routes.ipv4).toBe(1);
  });
});
