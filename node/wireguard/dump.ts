import { UserError } from '../../common/errors.js';

/** What `wg show IFNAME dump` says about the interface itself (the private key is dropped on parse). */
export interface WireguardInterfaceInfo {
  publicKey: string;
  listenPort: number;
  fwmark: number | null;
}

/** What `wg show IFNAME dump` says about one peer. */
export interface WireguardPeerInfo {
  publicKey: string;
  hasPresharedKey: boolean;
  endpoint: string | null;
  allowedIps: string[];
  /** Unix seconds of the latest completed handshake, null if none yet. */
  latestHandshake: number | null;
  rxBytes: number;
  txBytes: number;
  persistentKeepalive: number | null;
}

export interface WireguardDump {
  interface: WireguardInterfaceInfo;
  peers: WireguardPeerInfo[];
}

function field(fields: string[], index: number, line: number): string {
  const value = fields[index];
  if (value === undefined) throw new UserError(`wg dump line ${line}: missing field ${index + 1}`);
  return value;
}

function integer(text: string, what: string, line: number): number {
  if (!/^\d+$/.test(text)) throw new UserError(`wg dump line ${line}: ${what} is not a number: ${JSON.stringify(text)}`);
  return Number(text);
}

function optional(text: string): string | null {
  return text === '(none)' || text === 'off' ? null : text;
}

/**
 * Parses the tab-separated output of `wg show IFNAME dump`. The first line is
 * the interface (private key, public key, port, fwmark); its private key is
 * never kept, so that a dump can be logged or shown safely.
 */
export function parseWireguardDump(text: string): WireguardDump {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const head = lines[0];
  if (head === undefined) throw new UserError('wg dump is empty');
  const h = head.split('\t');
  if (h.length !== 4) throw new UserError(`wg dump line 1: expected 4 fields, got ${h.length}`);
  const fwmark = optional(field(h, 3, 1));
  const iface: WireguardInterfaceInfo = {
    publicKey: field(h, 1, 1),
    listenPort: integer(field(h, 2, 1), 'listen port', 1),
    fwmark: fwmark === null ? null : fwmark.startsWith('0x') ? Number.parseInt(fwmark, 16) : integer(fwmark, 'fwmark', 1),
  };
  const peers = lines.slice(1).map((line, i): WireguardPeerInfo => {
    const n = i + 2;
    const f = line.split('\t');
    if (f.length !== 8) throw new UserError(`wg dump line ${n}: expected 8 fields, got ${f.length}`);
    const allowed = optional(field(f, 3, n));
    const handshake = integer(field(f, 4, n), 'latest handshake', n);
    const keepalive = optional(field(f, 7, n));
    return {
      publicKey: field(f, 0, n),
      hasPresharedKey: optional(field(f, 1, n)) !== null,
      endpoint: optional(field(f, 2, n)),
      allowedIps: allowed === null ? [] : allowed.split(','),
      latestHandshake: handshake === 0 ? null : handshake,
      rxBytes: integer(field(f, 5, n), 'transfer rx', n),
      txBytes: integer(field(f, 6, n), 'transfer tx', n),
      persistentKeepalive: keepalive === null ? null : integer(keepalive, 'persistent keepalive', n),
    };
  });
  return { interface: iface, peers };
}
