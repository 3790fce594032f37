import { describe, expect, it } from 'vitest';
import { KeyLayout } from './keys.js';
import { toChange } from './watch-hub.js';

describe('KeyLayout', () => {
  const keys = new KeyLayout('/gn/');

  it('parses back every public key it builds, and nothing else', () => {
    expect(keys.parsePub(keys.mesh)).toEqual({ kind: 'mesh', id: 'mesh' });
    expect(keys.parsePub(keys.node('lab-1'))).toEqual({ kind: 'node', id: 'lab-1' });
    expect(keys.parsePub(keys.allocation('node.lab-1.garage-v4'))).toEqual({ kind: 'allocation', id: 'node.lab-1.garage-v4' });
    expect(keys.parsePub(keys.presence('lab-1'))).toEqual({ kind: 'presence', id: 'lab-1' });
    expect(keys.parsePub(keys.nodeHash('lab-1'))).toBeNull();
    expect(keys.parsePub(keys.invitation('abc'))).toBeNull();
    expect(keys.parsePub(keys.slot('asn', 7))).toBeNull();
    expect(keys.parsePub('/gn/pub/unknown/x')).toBeNull();
  });

  it('keeps secrets and slots outside the watched prefix', () => {
    for (const key of [keys.adminHash, keys.nodeHash('a'), keys.invitation('i'), keys.slot('node', 1), keys.audit('e')]) {
      expect(key.startsWith(keys.pub)).toBe(false);
    }
  });
});

describe('toChange', () => {
  const keys = new KeyLayout('/gn/');

  it('turns a put into the record under its kind, and a delete into a tombstone', () => {
    const org = { name: 'uni-a', description: '', createdAt: 't' };
    expect(toChange(keys, keys.org('uni-a'), Buffer.from(JSON.stringify(org)))).toEqual({ kind: 'organization', id: 'uni-a', deleted: false, organization: org });
    expect(toChange(keys, keys.presence('lab-1'), null)).toEqual({ kind: 'presence', id: 'lab-1', deleted: true });
    expect(toChange(keys, keys.nodeHash('lab-1'), Buffer.from('{}'))).toBeNull();
  });
});
