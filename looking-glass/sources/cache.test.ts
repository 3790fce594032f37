import { describe, expect, it } from 'vitest';
import { MeshCache, StaleDataError } from './cache.js';
import type { MeshSource, NodeSource } from './source.js';
import type { RegistryView } from './types.js';

const view = (names: string[]): RegistryView => ({
  meshName: 'm', generatedAt: '', pools: [], organizations: [], allocations: [], authorizations: [], experiments: [],
  nodes: names.map((name) => ({ name, organization: 'o', asn: 1, wireguardPublicKey: '', loopbacks: { production: '', experimental: '' }, endpoints: [], endpointPublic: false, online: true })),
});

/** A source whose registry and nodes answer or fail on command, counting calls. */
function scriptedSource() {
  const s = { registryFails: false, failing: new Set<string>(), calls: 0, names: ['a', 'b'] };
  const node = (name: string): NodeSource => {
    const answer = async <T>(value: T): Promise<T> => {
      s.calls++;
      if (s.failing.has(name)) throw new Error(`${name} is down`);
      return value;
    };
    return {
      routeDaemon: {
        sessions: () => answer([]),
        recentChanges: () => answer([{ time: '2026-01-01T00:00:00Z', plane: 'production', node: name, kind: 'announce', prefix: '10.0.0.0/24', neighbor: 'x' }]),
        lookup: () => answer([]),
        routes: () => answer({ routes: [], truncated: false }),
      },
      agent: { tunnels: () => answer([]), probe: () => Promise.reject(new Error('unused')), ribVsFib: () => Promise.reject(new Error('unused')) },
    };
  };
  const source: MeshSource = {
    registry: { publicView: async () => { if (s.registryFails) throw new Error('registry down'); return view(s.names); } },
    node,
  };
  return { s, source };
}

describe('MeshCache', () => {
  it('serves the last snapshot, drops a node whose data grew too old, and refuses once the registry is too old', async () => {
    let now = 0;
    const { s, source } = scriptedSource();
    const cache = new MeshCache(source, { maxStalenessMs: 1000, now: () => now });
    expect(() => cache.snapshot()).toThrow(StaleDataError);
    await cache.refresh();
    expect(cache.snapshot().nodes.get('a')?.changes).toHaveLength(1);
    s.failing.add('a');
    now = 600;
    await cache.refresh();
    // Still fresh enough: the last answer is kept, with the error beside it.
    expect(cache.snapshot().nodes.get('a')).toMatchObject({ changes: { length: 1 }, error: 'a is down' });
    now = 1200;
    s.registryFails = true;
    await cache.refresh();
    now = 1500;
    expect(cache.snapshot().nodes.get('a')).toEqual({ error: 'a is down', updatedAt: 0 });
    expect(cache.snapshot().nodes.get('b')?.changes).toHaveLength(1);
    now = 1601;
    expect(() => cache.snapshot()).toThrow(/has not answered for 1 s/);
  });

  it('forgets nodes the registry no longer lists', async () => {
    const { s, source } = scriptedSource();
    const cache = new MeshCache(source);
    await cache.refresh();
    s.names = ['b'];
    await cache.refresh();
    expect([...cache.snapshot().nodes.keys()]).toEqual(['b']);
  });

  it('joins a refresh already under way instead of starting another', async () => {
    const { s, source } = scriptedSource();
    const cache = new MeshCache(source);
    await Promise.all([cache.refresh(), cache.refresh(), cache.refresh()]);
    expect(s.calls).toBe(6);
  });

  it('shares one answer among concurrent and repeated askers until it expires, and never keeps a failure', async () => {
    let now = 0;
    const cache = new MeshCache(scriptedSource().source, { queryTtlMs: 100, now: () => now });
    let fetches = 0;
    const fetch = async (): Promise<number> => ++fetches;
    expect(await Promise.all([cache.query('k', fetch), cache.query('k', fetch)])).toEqual([1, 1]);
    now = 99;
    expect(await cache.query('k', fetch)).toBe(1);
    now = 100;
    expect(await cache.query('k', fetch)).toBe(2);
    await expect(cache.query('bad', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(await cache.query('bad', fetch)).toBe(3);
  });

  it('holds a bounded number of answers', async () => {
    const cache = new MeshCache(scriptedSource().source, { maxQueryEntries: 2 });
    let fetches = 0;
    const fetch = async (): Promise<number> => ++fetches;
    await cache.query('a', fetch);
    await cache.query('b', fetch);
    await cache.query('c', fetch);
    expect(await cache.query('b', fetch)).toBe(2);
    expect(await cache.query('a', fetch)).toBe(4);
  });
});
