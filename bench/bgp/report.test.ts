import { describe, expect, it } from 'vitest';
import { formatFigures, parseBenchArguments } from './report.js';

const rowOf = (text: string, peer: string): string[] => text.split('\n').find((line) => line.includes(`  ${peer}  `))!.split(/\s{2,}/);

describe('benchmark report', () => {
  it('prints one row per receiver with ratios against BIRD and GoBGP of the same run', () => {
    const text = formatFigures([{ figure: 'ingest', unit: 's', values: new Map([['BIRD 2', 2], ['GoBGP 3', 40], ['garagenet', 4]]) }]);
    expect(rowOf(text, 'garagenet')).toEqual(['ingest (s)', 'garagenet', '4.00', '2.00x', '0.10x']);
    expect(rowOf(text, 'BIRD 2')).toEqual(['ingest (s)', 'BIRD 2', '2.00', '1.00x', '0.05x']);
  });

  it('marks a receiver that hit its deadline as a lower bound, and its ratios too', () => {
    const text = formatFigures([{ figure: 'load', unit: 's', values: new Map([['BIRD 2', 20], ['GoBGP 3', 180], ['garagenet', 30]]), atLeast: new Set(['GoBGP 3']) }]);
    expect(rowOf(text, 'GoBGP 3')).toEqual(['load (s)', 'GoBGP 3', '> 180.00', '> 9.00x', '-']);
    expect(rowOf(text, 'garagenet')).toEqual(['load (s)', 'garagenet', '30.00', '1.50x', '< 0.17x']);
  });

  it('prints no ratios for figures that are not compared, and n/a for what was not measured', () => {
    const text = formatFigures([{ figure: 'send', unit: 's', values: new Map([['BIRD 2', 0.05], ['garagenet', Number.NaN]]), compare: false }]);
    expect(rowOf(text, 'BIRD 2')).toEqual(['send (s)', 'BIRD 2', '0.050', '-', '-']);
    expect(rowOf(text, 'garagenet').slice(2)).toEqual(['n/a', '-', '-']);
  });

  it('reads --runs, --no-gobgp and receiver names, refusing anything else', () => {
    const known = ['bird', 'gobgp', 'garagenet'];
    expect(parseBenchArguments([], known)).toEqual({ runs: 1, receivers: known });
    expect(parseBenchArguments(['--no-gobgp', '--runs', '3'], known)).toEqual({ runs: 3, receivers: ['bird', 'garagenet'] });
    expect(parseBenchArguments(['garagenet'], known)).toEqual({ runs: 1, receivers: ['garagenet'] });
    expect(() => parseBenchArguments(['--runs', 'x'], known)).toThrow(/--runs "x"/);
    expect(() => parseBenchArguments(['frr'], known)).toThrow(/unknown argument "frr"/);
  });
});
