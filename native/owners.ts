/**
 * Owner tags (rtm_protocol / FRA_PROTOCOL) of what garagenet puts into the
 * kernel. Each writer only ever replaces or deletes its own tag, so the route
 * daemon's resync never removes the isolation's structure and vice versa.
 * 186-192 are taken by BGP/IS-IS/OSPF/RIP/EIGRP daemons in rt_protos.
 */
export const ROUTE_DAEMON_PROTOCOL = 201;
export const ISOLATION_PROTOCOL = 202;
