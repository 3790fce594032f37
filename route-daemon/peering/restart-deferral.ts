import type { AddressFamily } from '../routing/instance.js';

/**
 * Route selection deferral for the restarting speaker (RFC 4724 §4.1): after
 * our own restart the kernel still forwards on the old routes, and the
 * forwarding plane must not be rewritten from a half-learnt table. It waits
 * until every graceful-restart peer has sent End-of-RIB for each family the
 * session carries, or until the deferral time is over (peers that do not
 * come back must not hold forwarding hostage).
 */
export class RestartDeferral {
  /** Peers still expected, with the families whose End-of-RIB is missing (unknown until the session is up). */
  private readonly pending = new Map<string, Set<AddressFamily> | undefined>();

  constructor(peers: readonly string[]) {
    for (const peer of peers) this.pending.set(peer, undefined);
  }

  get done(): boolean {
    return this.pending.size === 0;
  }

  /** The session with `peer` is up and carries `families`. Returns true when nothing is left to wait for. */
  sessionUp(peer: string, families: readonly AddressFamily[]): boolean {
    if (this.pending.has(peer)) {
      if (families.length === 0) this.pending.delete(peer);
      else this.pending.set(peer, new Set(families));
    }
    return this.done;
  }

  /** End-of-RIB from `peer` for `family`. Returns true when nothing is left to wait for. */
  endOfRib(peer: string, family: AddressFamily): boolean {
    const families = this.pending.get(peer);
    if (families) {
      families.delete(family);
      if (families.size === 0) this.pending.delete(peer);
    }
    return this.done;
  }
}
