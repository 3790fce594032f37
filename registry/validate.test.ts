import { describe, expect, it } from 'vitest';
import { checkEndpoints, checkName, checkPublicKey } from './validate.js';

describe('request checks', () => {
  it('accepts names, keys and endpoints as operators write them', () => {
    expect(checkName('name', 'lab-7')).toBe('lab-7');
    expect(checkPublicKey('public_key', 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=')).toBeTruthy();
    expect(checkEndpoints('endpoints', ['192.0.2.1:51820', '[2001:db8::1]:51820', 'lab.example.org:443'])).toHaveLength(3);
  });

  it('names the field and the index of what is wrong', () => {
    expect(() => checkName('name', '-x')).toThrow(/^name: "-x" is not a valid name/);
    expect(() => checkName('name', 'A')).toThrow(/name/);
    expect(() => checkPublicKey('public_key', 'abc')).toThrow(/^public_key: "abc" is not a WireGuard public key/);
    expect(() => checkEndpoints('endpoints', ['192.0.2.1:51820', '300.1.1.1:5'])).toThrow(/^endpoints\[1\]/);
    expect(() => checkEndpoints('endpoints', ['192.0.2.1:0'])).toThrow(/^endpoints\[0\]/);
    expect(() => checkEndpoints('endpoints', ['[1.2.3.4]:80'])).toThrow(/^endpoints\[0\]/);
  });
});
