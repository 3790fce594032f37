import { describe, expect, it } from 'vitest';
import { LinkWindow, tunnelState } from './link-window.js';

describe('LinkWindow', () => {
  it('latency is the median of the answered probes, loss the unanswered share', () => {
    const w = new LinkWindow(4);
    for (const rtt of [1, null, 3, 2]) w.record('b', rtt);
    expect(w.quality('b')).toEqual({ latencyMs: 2, loss: 0.25, probes: 4 });
  });

  it('opens at the first answer: probes while the tunnel was still coming up are not loss', () => {
    const w = new LinkWindow(4);
    for (const rtt of [null, null, null]) w.record('b', rtt);
    expect(w.quality('b')).toEqual({ loss: 0, probes: 0 });
    for (const rtt of [0.5, null]) w.record('b', rtt);
    expect(w.quality('b')).toEqual({ latencyMs: 0.5, loss: 0.5, probes: 2 });
  });

  it('keeps only the last probes; an even count takes the mean of the middle two', () => {
    const w = new LinkWindow(4);
    for (const rtt of [5, null, 1, 2, 4, 9]) w.record('b', rtt);
    expect(w.quality('b')).toEqual({ latencyMs: 3, loss: 0, probes: 4 });
  });

  it('no answer after the first: loss 1 and no latency; an unknown or forgotten peer has no probes', () => {
    const w = new LinkWindow(2);
    for (const rtt of [0.4, null, null]) w.record('b', rtt);
    w.record('c', 0.5);
    expect(w.quality('b')).toEqual({ loss: 1, probes: 2 });
    w.keepOnly(new Set(['b']));
    expect(w.quality('c')).toEqual({ loss: 0, probes: 0 });
  });
});

describe('tunnelState', () => {
  it('up on BFD Up; connecting on a recent handshake; else down', () => {
    expect(tunnelState('Up', null)).toBe('up');
    expect(tunnelState('Init', 30)).toBe('connecting');
    expect(tunnelState('none', 180)).toBe('connecting');
    expect(tunnelState('Down', 181)).toBe('down');
    expect(tunnelState('Down', null)).toBe('down');
  });
});
