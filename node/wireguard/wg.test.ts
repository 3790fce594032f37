import { describe, expect, it } from 'vitest';
import { peerArgs, peerKeySwap } from './wg.js';

const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';

describe('peerArgs', () => {
  it('builds the wg set arguments for a peer with endpoint and keepalive', () => {
    expect(peerArgs({ publicKey: KEY, endpoint: '198.18.0.2:51820', allowedIps: ['0.0.0.0/0', '::/0'], persistentKeepalive: 25 })).toEqual([
      'peer', KEY, 'endpoint', '198.18.0.2:51820', 'allowed-ips', '0.0.0.0/0,::/0', 'persistent-keepalive', '25',
    ]);
  });

  it('leaves the endpoint out for a peer behind NAT and turns keepalive off by default', () => {
    expect(peerArgs({ publicKey: KEY, allowedIps: ['10.0.0.1/32'] })).toEqual([
      'peer', KEY, 'allowed-ips', '10.0.0.1/32', 'persistent-keepalive', 'off',
    ]);
  });

  it('accepts an IPv6 endpoint in brackets', () => {
    expect(peerArgs({ publicKey: KEY, endpoint: '[2001:db8::2]:1', allowedIps: [] })).toContain('[2001:db8::2]:1');
  });

  it('rejects a bad key, endpoint or keepalive naming the peer', () => {
    expect(() => peerArgs({ publicKey: 'abc', allowedIps: [] })).toThrow(/peer abc: not a WireGuard public key/);
    expect(() => peerArgs({ publicKey: KEY.replace('g=', 'h='), allowedIps: [] })).toThrow(/not a WireGuard public key/);
    expect(() => peerArgs({ publicKey: KEY, endpoint: '198.18.0.2', allowedIps: [] })).toThrow(/peer xTIBA5rb: bad endpoint/);
    expect(() => peerArgs({ publicKey: KEY, endpoint: 'h:70000', allowedIps: [] })).toThrow(/bad endpoint/);
    expect(() => peerArgs({ publicKey: KEY, allowedIps: [], persistentKeepalive: -1 })).toThrow(/keepalive/);
  });
});

describe('peerKeySwap', () => {
  const NEW = 'GTrg8EPdQAxeEXYiKVXm1nGVSHaNfugh3/Kg1M2WyHI=';
  const peer = { publicKey: NEW, endpoint: '198.18.0.2:51001', allowedIps: ['0.0.0.0/0', '::/0'] };

  it('adds the new key and moves the allowed IPs to it in one command, then removes the old key', () => {
    expect(peerKeySwap('gn-01', { oldPublicKey: KEY, peer })).toEqual([
      [
        'set', 'gn-01',
        'peer', NEW, 'endpoint', '198.18.0.2:51001', 'allowed-ips', '', 'persistent-keepalive', 'off',
        'peer', NEW, 'endpoint', '198.18.0.2:51001', 'allowed-ips', '0.0.0.0/0,::/0', 'persistent-keepalive', 'off',
      ],
      ['set', 'gn-01', 'peer', KEY, 'remove'],
    ]);
  });

  it('refuses a bad old key before building any command', () => {
    expect(() => peerKeySwap('gn-01', { oldPublicKey: 'abc', peer })).toThrow(/old peer key: not a WireGuard public key/);
  });
});

describe('names and keys', () => {
  it('accepts interface names of 1 to 15 safe characters only', async () => {
    const { checkInterfaceName } = await import('./tunnel-interface.js');
    expect(checkInterfaceName('gnt1a2b-01')).toBe('gnt1a2b-01');
    for (const bad of ['', 'sixteen-chars-xx', 'has space', 'a/b', '..']) expect(() => checkInterfaceName(bad)).toThrow(/bad interface name/);
  });

  it('recognises a 32-byte base64 key and nothing else', async () => {
    const { isWireguardKey } = await import('./keys.js');
    expect(isWireguardKey(KEY)).toBe(true);
    expect(isWireguardKey(KEY.slice(0, -2) + 'h=')).toBe(false); // 44 characters, but 33 bytes' worth of bits
    expect(isWireguardKey(KEY.slice(1))).toBe(false);
    expect(isWireguardKey(`${KEY}\n`)).toBe(false);
  });
});
