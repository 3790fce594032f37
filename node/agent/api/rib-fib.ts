import { formatAddress, parseAddress, parsePrefix, formatPrefix } from '../../../common/prefix.js';

/**
 * The route daemon's best routes against what the kernel holds for it in one
 * plane's table. Pure: the caller lists both sides (the RIB through the
 * daemon's queries, the kernel through the native plane's dump).
 */

export interface RibEntry {
  readonly prefix: string;
  readonly nextHop: string;
}

export interface KernelEntry {
  readonly prefix: string;
  readonly gateway?: string;
}

export interface Difference {
  readonly prefix: string;
  readonly ribNextHop: string;
  readonly kernelNextHop: string;
}

export interface RibFibResult {
  readonly ribRoutes: number;
  readonly kernelRoutes: number;
  readonly agreed: number;
  readonly counts: { readonly missingInKernel: number; readonly extraInKernel: number; readonly nextHopMismatch: number };
  /** Each list cut at `maxDifferences`, in prefix order as met. */
  readonly missingInKernel: Difference[];
  readonly extraInKernel: Difference[];
  readonly nextHopMismatch: Difference[];
}

/** One spelling per prefix and address, so "fd00:0::1" and "fd00::1" compare equal. */
function canonicalPrefix(text: string): string {
  return formatPrefix(parsePrefix(text, { allowHostBits: true }));
}

function canonicalHop(text: string | undefined): string {
  if (text === undefined || text === '') return '';
  try {
    return formatAddress(parseAddress(text));
  } catch {
    return text;
  }
}

export function compareRibFib(rib: Iterable<RibEntry>, kernel: Iterable<KernelEntry>, options: { maxDifferences: number }): RibFibResult {
  const max = options.maxDifferences;
  const inKernel = new Map<string, string>();
  const extraInKernel: Difference[] = [];
  let kernelRoutes = 0;
  let extras = 0;
  for (const k of kernel) {
    kernelRoutes++;
    const prefix = canonicalPrefix(k.prefix);
    // A second route of ours for one prefix (another metric) is one too many.
    if (inKernel.has(prefix)) {
      if (++extras <= max) extraInKernel.push({ prefix, ribNextHop: '', kernelNextHop: canonicalHop(k.gateway) });
      continue;
    }
    inKernel.set(prefix, canonicalHop(k.gateway));
  }
  const missingInKernel: Difference[] = [];
  const nextHopMismatch: Difference[] = [];
  let ribRoutes = 0;
  let agreed = 0;
  let missing = 0;
  let mismatched = 0;
  for (const r of rib) {
    ribRoutes++;
    const prefix = canonicalPrefix(r.prefix);
    const ribNextHop = canonicalHop(r.nextHop);
    const kernelNextHop = inKernel.get(prefix);
    if (kernelNextHop === undefined) {
      if (++missing <= max) missingInKernel.push({ prefix, ribNextHop, kernelNextHop: '' });
      continue;
    }
    inKernel.delete(prefix);
    if (kernelNextHop === ribNextHop) agreed++;
    else if (++mismatched <= max) nextHopMismatch.push({ prefix, ribNextHop, kernelNextHop });
  }
  for (const [prefix, kernelNextHop] of inKernel) {
    if (++extras <= max) extraInKernel.push({ prefix, ribNextHop: '', kernelNextHop });
  }
  return {
    ribRoutes, kernelRoutes, agreed,
    counts: { missingInKernel: missing, extraInKernel: extras, nextHopMismatch: mismatched },
    missingInKernel, extraInKernel, nextHopMismatch,
  };
}
