import { describe, expect, it } from 'vitest';
import { FIGURES_MARK, parseFigures, ratio, type Figure } from './figures.js';

const figure: Figure = { figure: 'FIB add 100,000 routes', unit: 's', ours: 0.5, peer: 'ip -batch', peerValue: 2, better: 'lower' };

describe('benchmark figures line', () => {
  it('reads the last marked line after a human table', () => {
    const older = { ...figure, ours: 9 };
    const stdout = `table\n${FIGURES_MARK}${JSON.stringify({ bench: 'fib', figures: [older] })}\nmore text\n${FIGURES_MARK}${JSON.stringify({ bench: 'fib', figures: [figure] })}\n`;
    expect(parseFigures(stdout, 'fib')).toEqual([figure]);
  });

  it('names the benchmark when the line is missing or malformed', () => {
    expect(() => parseFigures('just a table\n', 'fib')).toThrow(/benchmark fib printed no "bench-figures" line/);
    expect(() => parseFigures(`${FIGURES_MARK}{not json\n`, 'fib')).toThrow(/benchmark fib: its figures line is not JSON/);
    expect(() => parseFigures(`${FIGURES_MARK}{"figures":[{"figure":"x","unit":"s","ours":"fast","peer":"p","peerValue":1,"better":"lower"}]}\n`, 'fib'))
      .toThrow(/figure 1 \(x\): ours and peerValue must be finite numbers or null/);
    expect(() => parseFigures(`${FIGURES_MARK}{"figures":[{"figure":"x","unit":"s","ours":1,"peer":"p","peerValue":1,"better":"more"}]}\n`, 'fib'))
      .toThrow(/better must be "lower" or "higher"/);
  });

  it('gives ours / peer, and no ratio where a value is missing or the peer is zero', () => {
    expect(ratio(figure)).toBe(0.25);
    expect(ratio({ ...figure, ours: null })).toBeNull();
    expect(ratio({ ...figure, peerValue: 0 })).toBeNull();
  });
});
