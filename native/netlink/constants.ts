/** rtnetlink numbers from <linux/netlink.h>, <linux/rtnetlink.h>, <linux/fib_rules.h>, <linux/if_addr.h>. */

export const NLMSG_HDRLEN = 16;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;

export const AF_INET = 2;
export const AF_INET6 = 10;

export const RTA_DST = 1;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_MULTIPATH = 9;
export const RTA_TABLE = 15;

export const RTN_UNICAST = 1;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;

export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_NOWHERE = 255;
export const RT_TABLE_COMPAT = 252;
export const RTM_F_CLONED = 0x200;

export const FRA_DST = 1;
export const FRA_SRC = 2;
export const FRA_IIFNAME = 3;
export const FRA_PRIORITY = 6;
export const FRA_FWMARK = 10;
export const FRA_TABLE = 15;
export const FRA_FWMASK = 16;
export const FRA_PROTOCOL = 21;
export const FR_ACT_TO_TBL = 1;
export const FR_ACT_UNREACHABLE = 7;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;

export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFF_UP = 0x1;
export const IFF_LOWER_UP = 0x10000;

/** Multicast groups (RTNLGRP_*), joined by number. */
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV6_ROUTE = 11;
