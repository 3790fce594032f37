import { loadAddon, type RawEventSocket } from './addon.js';
import { RTM_DELLINK, RTM_DELROUTE, RTM_NEWLINK, RTM_NEWROUTE, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_LINK } from './netlink/constants.js';
import { decodeLink, type DecodedLink } from './netlink/link.js';
import { readMessages } from './netlink/message.js';
import { decodeRoute, type DecodedRoute } from './netlink/route.js';
import { netnsPath } from './rtnetlink.js';

/** Link and route changes from the kernel (rtnetlink multicast), delivered on the JS thread. */

export type NetlinkEvent =
  | { readonly kind: 'route'; readonly action: 'add' | 'delete'; readonly route: DecodedRoute }
  | { readonly kind: 'link'; readonly action: 'add' | 'delete'; readonly link: DecodedLink }
  /** The kernel dropped events: whoever mirrors kernel state must resync. */
  | { readonly kind: 'overflow' };

/** Decodes one datagram of multicast messages (pure). */
export function decodeEvents(chunk: Buffer): NetlinkEvent[] {
  const out: NetlinkEvent[] = [];
  for (const m of readMessages(chunk)) {
    if (m.type === RTM_NEWROUTE || m.type === RTM_DELROUTE) {
      const route = decodeRoute(chunk, m);
      if (route) out.push({ kind: 'route', action: m.type === RTM_NEWROUTE ? 'add' : 'delete', route });
    } else if (m.type === RTM_NEWLINK || m.type === RTM_DELLINK) {
      const link = decodeLink(chunk, m);
      if (link) out.push({ kind: 'link', action: m.type === RTM_NEWLINK ? 'add' : 'delete', link });
    }
  }
  return out;
}

export interface Subscription {
  close(): void;
}

/** Subscribes to link and/or route events in `netns` (default: this namespace); keeps the process alive until close(). */
export function watchEvents(
  onEvent: (event: NetlinkEvent) => void,
  options: {
    netns?: string;
    links?: boolean;
    routes?: boolean;
    /** Kernel receive buffer; the default (32 MiB) holds the events of a full table load. */
    receiveBufferBytes?: number;
  } = {},
): Subscription {
  const groups: number[] = [];
  if (options.links ?? true) groups.push(RTNLGRP_LINK);
  if (options.routes ?? true) groups.push(RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE);
  const { EventSocket } = loadAddon();
  const socket: RawEventSocket = new EventSocket(
    options.netns === undefined ? '' : netnsPath(options.netns),
    groups,
    (chunk) => {
      if (chunk === null) onEvent({ kind: 'overflow' });
      else for (const event of decodeEvents(chunk)) onEvent(event);
    },
    options.receiveBufferBytes,
  );
  return { close: () => socket.close() };
}
