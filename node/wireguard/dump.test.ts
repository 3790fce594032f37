import { describe, expect, it } from 'vitest';
import { parseWireguardDump } from './dump.js';

const PRIVATE = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const PUBLIC = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';
const PEER = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';

describe('parseWireguardDump', () => {
  it('parses the interface and a peer with a handshake, and drops the private key', () => {
    const text =
      `${PRIVATE}\t${PUBLIC}\t51820\toff\n` +
      `${PEER}\t(none)\t198.18.0.2:51820\t0.0.0.0/0,::/0\t1700000000\t1234\t5678\t25\n`;
    const dump = parseWireguardDump(text);
    expect(dump.interface).toEqual({ publicKey: PUBLIC, listenPort: 51820, fwmark: null });
    expect(dump.peers).toEqual([
      {
        publicKey: PEER,
        hasPresharedKey: false,
        endpoint: '198.18.0.2:51820',
        allowedIps: ['0.0.0.0/0', '::/0'],
        latestHandshake: 1700000000,
        rxBytes: 1234,
        txBytes: 5678,
        persistentKeepalive: 25,
      },
    ]);
    expect(JSON.stringify(dump)).not.toContain(PRIVATE);
  });

  it('reads a peer that has not been seen yet as nulls and empty lists', () => {
    const text = `(none)\t(none)\t0\t0xca6c\n${PEER}\t(hidden)\t(none)\t(none)\t0\t0\t0\toff\n`;
    const dump = parseWireguardDump(text);
    expect(dump.interface.fwmark).toBe(0xca6c);
    const peer = dump.peers[0];
    expect(peer?.endpoint).toBeNull();
    expect(peer?.allowedIps).toEqual([]);
    expect(peer?.latestHandshake).toBeNull();
    expect(peer?.persistentKeepalive).toBeNull();
    expect(peer?.hasPresharedKey).toBe(true);
  });

  it('parses an IPv6 endpoint in brackets', () => {
    const text = `${PRIVATE}\t${PUBLIC}\t1\toff\n${PEER}\t(none)\t[2001:db8::1]:51820\t10.0.0.1/32\t0\t0\t0\toff\n`;
    expect(parseWireguardDump(text).peers[0]?.endpoint).toBe('[2001:db8::1]:51820');
  });

  it('rejects truncated or garbled lines naming the line', () => {
    expect(() => parseWireguardDump('')).toThrow(/empty/);
    expect(() => parseWireguardDump(`${PRIVATE}\t${PUBLIC}\t51820\n`)).toThrow(/line 1: expected 4 fields/);
    expect(() => parseWireguardDump(`${PRIVATE}\t${PUBLIC}\tport\toff\n`)).toThrow(/line 1: listen port is not a number/);
    expect(() => parseWireguardDump(`${PRIVATE}\t${PUBLIC}\t1\toff\n${PEER}\t(none)\n`)).toThrow(/line 2: expected 8 fields/);
    expect(() =>
      parseWireguardDump(`${PRIVATE}\t${PUBLIC}\t1\toff\n${PEER}\t(none)\t(none)\t(none)\tsoon\t0\t0\toff\n`),
    ).toThrow(/line 2: latest handshake is not a number/);
  });
});
