import type { Family, Prefix } from '../../common/prefix.js';
import { ipv4PrefixAddress, ipv4PrefixLength, type Ipv4Prefix } from '../packet/types.js';
import type { ImportPolicy, PrefixVerdict } from '../policy/import.js';
import type { RouteAttributes } from './attributes.js';
import type { PrefixIndex } from './prefix-index.js';

/**
 * The prefix the import loop is at, one object reused for every prefix of
 * an UPDATE. An IPv4 prefix stays two numbers (its network and length) for
 * the prefix index and the policy checks; its Prefix, with a bigint, is
 * made only when origin validation (a plane with IPv4 authorizations), a
 * log line, the audit log or damping asks for it.
 */
export class ImportedPrefix {
  family: Family = 4;
  /** The IPv4 network (family 4 only). */
  network = 0;
  length = 0;
  private made: Prefix | undefined;

  /** Now at an IPv4 prefix as the codec packs it. */
  atPacked(packed: Ipv4Prefix): this {
    this.family = 4;
    this.network = ipv4PrefixAddress(packed);
    this.length = ipv4PrefixLength(packed);
    this.made = undefined;
    return this;
  }

  /** Now at `prefix`. */
  at(prefix: Prefix): this {
    this.family = prefix.family;
    this.network = prefix.family === 4 ? Number(prefix.value) : 0;
    this.length = prefix.length;
    this.made = prefix;
    return this;
  }

  get prefix(): Prefix {
    return (this.made ??= { family: 4, value: BigInt(this.network), length: this.length });
  }

  /** Its slot in `index` (of its family), or -1. */
  findIn(index: PrefixIndex): number {
    return this.family === 4 ? index.findIpv4(this.network, this.length) : index.find(this.prefix);
  }

  /** Its slot in `index` (of its family), made if absent. */
  insertInto(index: PrefixIndex): number {
    return this.family === 4 ? index.insertIpv4(this.network, this.length) : index.insert(this.prefix);
  }

  checkedBy(policy: ImportPolicy, attributes: RouteAttributes, peer: { experimentAsn?: number }): PrefixVerdict {
    return this.family === 4 ? policy.checkIpv4(this, attributes, peer) : policy.checkPrefix(this.prefix, attributes, peer);
  }
}
