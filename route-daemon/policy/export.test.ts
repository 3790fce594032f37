import { describe, expect, it } from 'vitest';
import { exportReason } from './export.js';

const ebgpPeer = { name: 'b', ebgp: true };
const ibgpPeer = { name: 'c', ebgp: false };

describe('exportReason', () => {
  it('exports local routes only when authorized', () => {
    expect(exportReason({ kind: 'local', authorized: true }, ebgpPeer)).toBeNull();
    expect(exportReason({ kind: 'local', authorized: false }, ebgpPeer)).toBe('not authorized to originate this prefix');
  });

  it('never sends a route back to the peer it came from', () => {
    expect(exportReason({ kind: 'peer', peer: 'b', ebgp: true }, ebgpPeer)).toBe('learned from this peer');
  });

  it('passes eBGP routes to everyone and iBGP routes only to eBGP peers', () => {
    expect(exportReason({ kind: 'peer', peer: 'a', ebgp: true }, ibgpPeer)).toBeNull();
    expect(exportReason({ kind: 'peer', peer: 'a', ebgp: false }, ebgpPeer)).toBeNull();
    expect(exportReason({ kind: 'peer', peer: 'a', ebgp: false }, ibgpPeer)).toBe('iBGP route not passed to an iBGP peer');
  });
});
