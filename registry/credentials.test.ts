import { describe, expect, it } from 'vitest';
import { formatCredential, hashSecret, newSecret, parseCredential, secretMatches } from './credentials.js';

describe('credentials', () => {
  it('round-trips every kind and refuses anything else', () => {
    const secret = newSecret();
    expect(parseCredential(formatCredential({ kind: 'admin', secret }))).toEqual({ kind: 'admin', secret });
    expect(parseCredential(formatCredential({ kind: 'node', node: 'lab-1', secret }))).toEqual({ kind: 'node', node: 'lab-1', secret });
    expect(parseCredential(formatCredential({ kind: 'viewer', viewer: 'lg', secret }))).toEqual({ kind: 'viewer', viewer: 'lg', secret });
    expect(formatCredential({ kind: 'viewer', viewer: 'lg', secret })).toBe(`gnviewer.lg.${secret}`);
    expect(parseCredential('gnviewer.lg.')).toBeNull();
    expect(parseCredential('gnviewer.LG.x')).toBeNull();
    expect(parseCredential('gnadmin.')).toBeNull();
    expect(parseCredential('gnnode.only-two')).toBeNull();
    expect(parseCredential('gnnode.../admin.x')).toBeNull();
    expect(parseCredential('gnnode.Lab/1.x')).toBeNull();
    expect(parseCredential('Bearer x')).toBeNull();
  });

  it('matches a secret only against its own hash', () => {
    const a = newSecret();
    const b = newSecret();
    expect(a).not.toBe(b);
    expect(secretMatches(a, hashSecret(a))).toBe(true);
    expect(secretMatches(b, hashSecret(a))).toBe(false);
    expect(secretMatches(a, 'not-hex')).toBe(false);
  });
});
