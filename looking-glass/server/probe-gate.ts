import { parsePrefix, prefixContainsAddress, type Address } from '../../common/prefix.js';
import type { Plane, Pool } from '../sources/types.js';
import { HttpError } from './http-error.js';

/**
 * The only way to a probe: the target must be an address inside one of the
 * mesh's pools of that plane (never anything outside the mesh), and only
 * `maxConcurrent` probes run at once across all clients.
 */
export class ProbeGate {
  private inFlight = 0;

  constructor(readonly maxConcurrent: number) {}

  get running(): number {
    return this.inFlight;
  }

  checkTarget(target: Address, plane: Plane, pools: readonly Pool[]): void {
    const inPlane = pools.filter((p) => p.plane === plane);
    if (!inPlane.some((p) => prefixContainsAddress(parsePrefix(p.prefix), target))) {
      throw new HttpError(400, `"target" is not a ${plane} address of this mesh`, {
        field: 'target',
        hint: `probes go only to addresses inside ${inPlane.map((p) => p.prefix).join(', ') || 'the mesh pools'}`,
      });
    }
  }

  async run<T>(probe: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.maxConcurrent) {
      throw new HttpError(503, `${this.maxConcurrent} probes are already running`, { hint: 'try again in a few seconds', retryAfterSeconds: 5 });
    }
    this.inFlight++;
    try {
      return await probe();
    } finally {
      this.inFlight--;
    }
  }
}
