import { describe, expect, it } from 'vitest';
import type { PublicView } from '../../registry/model.js';
import { fromRegistryPublicView } from './registry-adapter.js';
import { rejections } from './refusals.js';

const registryView: PublicView = {
  mesh: { name: 'm', productionV4: '10.64.0.0/11', productionV6: '', experimentalV4: '10.96.0.0/11', experimentalV6: 'fd96::/48', asnFirst: 1, asnLast: 2, createdAt: '' },
  organizations: [{ name: 'uni-a', description: 'University A', createdAt: '2026-01-01T00:00:00Z' }],
  nodes: [
    {
      node: {
        name: 'garage-a', organization: 'uni-a', publicKey: 'pub', previousPublicKey: 'old', endpoints: ['198.51.100.1:51820'], asn: 4200000001,
        productionLoopbackV4: '10.64.0.1', productionLoopbackV6: 'fd64::1', experimentalLoopbackV4: '10.96.0.1', experimentalLoopbackV6: 'fd96::1',
        slot: 1, joinedAt: '', updatedAt: '',
      },
      online: true,
      onlineSince: '2026-01-02T00:00:00Z',
    },
  ],
  allocations: [{ id: 'x', prefix: '10.64.8.0/24', plane: 'production', holderKind: 'node', holder: 'garage-a', purpose: 'garage', createdAt: '' }],
  authorizations: [{ id: 'y', prefix: '10.64.8.0/24', maxLength: 24, originAsn: 4200000001, plane: 'production', holder: 'garage-a', createdAt: '' }],
  experiments: [{
    name: 'e1', owner: 'uni-a', description: 'd', asn: 4200100001, prefixes: ['10.100.0.0/24'], maxPrefixes: 4, maxUpdatesPerMinute: 60, maxMbits: 10,
    expiresAt: '2026-02-01T00:00:00Z', state: 'stopped', node: '', slot: 3, createdAt: '2026-01-01T00:00:00Z', updatedAt: '',
  }],
  revision: 7,
};

describe('fromRegistryPublicView', () => {
  it('maps the registry message onto the looking glass types, hiding endpoints the registry does not mark public', () => {
    const view = fromRegistryPublicView(registryView);
    expect(view.pools).toEqual([
      { plane: 'production', prefix: '10.64.0.0/11' },
      { plane: 'experimental', prefix: '10.96.0.0/11' },
      { plane: 'experimental', prefix: 'fd96::/48' },
    ]);
    expect(view.nodes).toEqual([{
      name: 'garage-a', organization: 'uni-a', asn: 4200000001, wireguardPublicKey: 'pub', loopbacks: { production: '10.64.0.1', experimental: '10.96.0.1' },
      endpoints: ['198.51.100.1:51820'], endpointPublic: false, online: true, onlineSince: '2026-01-02T00:00:00Z',
    }]);
    expect(view.allocations).toEqual([{ prefix: '10.64.8.0/24', plane: 'production', holder: { kind: 'node', name: 'garage-a' }, purpose: 'garage' }]);
    expect(view.experiments).toEqual([{
      name: 'e1', owner: 'uni-a', description: 'd', asn: 4200100001, allocations: ['10.100.0.0/24'], attachedAt: [], state: 'stopped',
      limits: { maxPrefixes: 4, maxUpdatesPerMinute: 60, bandwidthMbit: 10 }, createdAt: '2026-01-01T00:00:00Z', expiresAt: '2026-02-01T00:00:00Z', audit: [],
    }]);
  });
});

describe('rejections', () => {
  const entry = (event: string, detail: string, at: string) => ({ experiment: 'e1', node: 'garage-a', event, detail, at });

  it('keeps what the guard rails refused, newest first, with the prefix when the detail starts with one', () => {
    expect(rejections([
      entry('attached', 'router 10.96.0.9 AS4200100001 on gnx0', '2026-01-01T00:00:00.000Z'),
      entry('import.rejected.origin-validation', '10.200.0.0/24: invalid (peer e1, experimental plane)', '2026-01-01T00:00:01.000Z'),
      entry('import.accepted', '10.100.0.0/24: valid (peer e1, experimental plane)', '2026-01-01T00:00:02.000Z'),
      entry('import.rejected.as-path-length', 'fd96::/64: 12 hops (peer e1, experimental plane)', '2026-01-01T00:00:03.000Z'),
      entry('session.ceased.max-prefix', '5 prefixes (peer e1, experimental plane)', '2026-01-01T00:00:04.000Z'),
      entry('stopped', 'stopped by the registry', '2026-01-01T00:00:05.000Z'),
    ]).map((a) => [a.kind, a.prefix])).toEqual([
      ['kill-switch', undefined],
      ['max-prefix', undefined],
      ['as-path-too-long', 'fd96::/64'],
      ['unauthorized-prefix', '10.200.0.0/24'],
    ]);
  });

  it('shows a route refused for too many communities', () => {
    expect(rejections([entry('import.rejected.community-count', '10.128.1.48/28: 4 communities exceed 3 (peer e1, experimental plane)', '2026-01-01T00:00:00.000Z')])
      .map((a) => [a.kind, a.prefix])).toEqual([['too-many-communities', '10.128.1.48/28']]);
  });
});
