import type { AttributeStore } from './attribute-store.js';
import { packedHasCommunity, packedHasLargeCommunity, packedOriginAs } from './packed-attributes.js';
import type { RouteFilter } from './queries.js';
import type { FamilyRib } from './rib.js';

const VERDICT_MATCH = 1;
const VERDICT_MISS = 2;

/**
 * Which routes a ListRoutes filter lets through, decided from the RIB's path
 * arrays and the packed attribute sets before any RouteView is built: with a
 * filter on a full table nearly every route is left out, and building its
 * view (every path's set, the decision process for `decidedBy`) only to
 * drop it was nearly all of a listing's cost.
 *
 * A route matches when SOME path satisfies every criterion given. The peer
 * is tested on the path's owner index; the attribute criteria once per
 * attribute set, their verdict kept for the life of the matcher (one page:
 * an id may stand for another set once the page is over), since many routes
 * share a set.
 */
export class RouteMatcher {
  private readonly community: number | undefined;
  private readonly largeCommunity: RouteFilter['largeCommunity'];
  private readonly originAsn: number | undefined;
  private readonly testsAttributes: boolean;
  /** Per attribute-set id: 0 not tested yet, else VERDICT_MATCH or VERDICT_MISS. Grown as ids come. */
  private verdicts = new Uint8Array(1024);

  constructor(
    filter: RouteFilter,
    private readonly context: {
      readonly store: AttributeStore;
      readonly localAsn: number;
      /** The path owners `filter.peer` names (the instance knows its peers); absent when the filter names none. */
      readonly owners: readonly number[] | undefined;
    },
  ) {
    this.community = filter.community;
    this.largeCommunity = filter.largeCommunity;
    this.originAsn = filter.originAsn;
    this.testsAttributes = filter.community !== undefined || filter.largeCommunity !== undefined || filter.originAsn !== undefined;
  }

  /** Whether some path of the slot's prefix satisfies the whole filter (false for a slot without paths). */
  matches(rib: FamilyRib, slot: number): boolean {
    const { owners } = this.context;
    for (let p = rib.head[slot]!; p >= 0; p = rib.nextPath(p)) {
      if (owners !== undefined && !owners.includes(rib.pathPeer[p]!)) continue;
      if (this.testsAttributes && !this.setMatches(rib.pathAttr[p]!)) continue;
      return true;
    }
    return false;
  }

  private setMatches(attrId: number): boolean {
    if (attrId >= this.verdicts.length) this.growVerdicts(attrId);
    const known = this.verdicts[attrId]!;
    if (known !== 0) return known === VERDICT_MATCH;
    const bytes = this.context.store.packedOf(attrId);
    const verdict =
      (this.community === undefined || packedHasCommunity(bytes, this.community)) &&
      (this.largeCommunity === undefined || packedHasLargeCommunity(bytes, this.largeCommunity)) &&
      (this.originAsn === undefined || packedOriginAs(bytes, this.context.localAsn) === this.originAsn);
    this.verdicts[attrId] = verdict ? VERDICT_MATCH : VERDICT_MISS;
    return verdict;
  }

  private growVerdicts(attrId: number): void {
    let size = this.verdicts.length;
    while (size <= attrId) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.verdicts);
    this.verdicts = grown;
  }
}
