import { describe, expect, it } from 'vitest';
import { compareRibFib } from './rib-fib.js';

describe('compareRibFib', () => {
  it('agreement: every best route in the kernel with its next hop, spelled either way', () => {
    const result = compareRibFib(
      [{ prefix: '10.64.0.2/32', nextHop: '10.64.0.2' }, { prefix: 'fd64:0:0::2/128', nextHop: 'fd64::2' }],
      [{ prefix: 'fd64::2/128', gateway: 'fd64:0::2' }, { prefix: '10.64.0.2/32', gateway: '10.64.0.2' }],
      { maxDifferences: 10 },
    );
    expect(result).toEqual({
      ribRoutes: 2, kernelRoutes: 2, agreed: 2,
      counts: { missingInKernel: 0, extraInKernel: 0, nextHopMismatch: 0 },
      missingInKernel: [], extraInKernel: [], nextHopMismatch: [],
    });
  });

  it('lists what is missing, extra (a duplicate too) and on another next hop', () => {
    const result = compareRibFib(
      [{ prefix: '10.70.0.0/24', nextHop: '10.64.0.2' }, { prefix: '10.70.1.0/24', nextHop: '10.64.0.2' }, { prefix: '10.70.2.0/24', nextHop: '10.64.0.3' }],
      [{ prefix: '10.70.1.0/24', gateway: '10.64.0.3' }, { prefix: '10.70.2.0/24', gateway: '10.64.0.3' }, { prefix: '10.70.2.0/24', gateway: '10.64.0.2' }, { prefix: '10.99.0.0/16' }],
      { maxDifferences: 10 },
    );
    expect(result.agreed).toBe(1);
    expect(result.missingInKernel).toEqual([{ prefix: '10.70.0.0/24', ribNextHop: '10.64.0.2', kernelNextHop: '' }]);
    expect(result.nextHopMismatch).toEqual([{ prefix: '10.70.1.0/24', ribNextHop: '10.64.0.2', kernelNextHop: '10.64.0.3' }]);
    expect(result.extraInKernel).toEqual([
      { prefix: '10.70.2.0/24', ribNextHop: '', kernelNextHop: '10.64.0.2' },
      { prefix: '10.99.0.0/16', ribNextHop: '', kernelNextHop: '' },
    ]);
    expect(result.counts).toEqual({ missingInKernel: 1, extraInKernel: 2, nextHopMismatch: 1 });
  });

  it('cuts the lists at maxDifferences but counts everything', () => {
    const rib = Array.from({ length: 50 }, (_, i) => ({ prefix: `10.80.${i}.0/24`, nextHop: '10.64.0.2' }));
    const result = compareRibFib(rib, [], { maxDifferences: 5 });
    expect(result.missingInKernel.map((d) => d.prefix)).toEqual(['10.80.0.0/24', '10.80.1.0/24', '10.80.2.0/24', '10.80.3.0/24', '10.80.4.0/24']);
    expect(result.counts.missingInKernel).toBe(50);
    expect(result.ribRoutes).toBe(50);
  });
});
