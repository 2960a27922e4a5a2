// Netlink on x86_64: protocols, socket options, struct sockaddr_nl,
// struct nlmsghdr, struct nlmsgerr and the NLM_F_*/NLMSG_* values
// (include/uapi/linux/netlink.h); rtnetlink's message types, struct
// rtmsg, struct rtgenmsg, struct rta_cacheinfo and the RTA_*/RTN_*/
// RTPROT_*/RT_SCOPE_*/RT_TABLE_* values (include/uapi/linux/rtnetlink.h);
// struct ifinfomsg, IFLA_* and the link statistics structs
// (include/uapi/linux/if_link.h); struct ifaddrmsg, IFA_* and struct
// ifa_cacheinfo (include/uapi/linux/if_addr.h). Checked with gcc in
// netlink.test.ts.

export const NETLINK_ROUTE = 0;
/** MAX_LINKS: protocols at or above it are EPROTONOSUPPORT. */
export const NETLINK_MAX_LINKS = 32;

export const SOL_NETLINK = 270;
export const NETLINK_OPT = {
  ADD_MEMBERSHIP: 1,
  DROP_MEMBERSHIP: 2,
  PKTINFO: 3,
  BROADCAST_ERROR: 4,
  NO_ENOBUFS: 5,
  LISTEN_ALL_NSID: 8,
  LIST_MEMBERSHIPS: 9,
  CAP_ACK: 10,
  EXT_ACK: 11,
  GET_STRICT_CHK: 12,
} as const;

/** struct sockaddr_nl: nl_family u16, nl_pad u16, nl_pid u32, nl_groups u32. */
export const SOCKADDR_NL = { SIZE: 12, FAMILY: 0, PID: 4, GROUPS: 8 } as const;

/** struct nlmsghdr: nlmsg_len u32, nlmsg_type u16, nlmsg_flags u16, nlmsg_seq u32, nlmsg_pid u32. */
export const NLMSGHDR = { SIZE: 16, LEN: 0, TYPE: 4, FLAGS: 6, SEQ: 8, PID: 12 } as const;
/** NLMSG_ALIGNTO and NLA_ALIGNTO (RTA_ALIGNTO): messages and attributes start on 4-byte boundaries. */
export const NLMSG_ALIGNTO = 4;
/** struct nlattr / struct rtattr: len u16, type u16. */
export const NLA_HDRLEN = 4;

export const NLM_F = {
  REQUEST: 0x01,
  MULTI: 0x02,
  ACK: 0x04,
  ECHO: 0x08,
  DUMP_INTR: 0x10,
  DUMP_FILTERED: 0x20,
  /** NLM_F_ROOT|NLM_F_MATCH. */
  DUMP: 0x300,
  /** On NLMSG_ERROR: the request was not copied back; extended-ack TLVs follow. */
  CAPPED: 0x100,
  ACK_TLVS: 0x200,
} as const;

export const NLMSG = { NOOP: 0x1, ERROR: 0x2, DONE: 0x3, OVERRUN: 0x4, MIN_TYPE: 0x10 } as const;

/** struct nlmsgerr: int error, then the request's struct nlmsghdr. */
export const NLMSGERR_SIZE = 20;
/** Extended-ack TLV: a NUL-terminated error message. */
export const NLMSGERR_ATTR_MSG = 1;

export const RTM = {
  NEWLINK: 16,
  GETLINK: 18,
  NEWADDR: 20,
  GETADDR: 22,
  NEWROUTE: 24,
  GETROUTE: 26,
  BASE: 16,
} as const;
/** The last rtnetlink message type; types above it are EOPNOTSUPP. */
export const RTM_MAX = 123;
/** rtnetlink's multicast groups (RTNLGRP_MAX). */
export const RTNLGRP_MAX = 36;

/** struct rtgenmsg: the family byte every rtnetlink request starts with. */
export const RTGENMSG_SIZE = 1;

/** struct ifinfomsg: family u8, pad u8, type u16, index i32, flags u32, change u32. */
export const IFINFOMSG = { SIZE: 16, FAMILY: 0, TYPE: 2, INDEX: 4, FLAGS: 8, CHANGE: 12 } as const;
/** struct ifaddrmsg: family, prefixlen, flags, scope (u8 each), index u32. */
export const IFADDRMSG = { SIZE: 8, FAMILY: 0, PREFIXLEN: 1, FLAGS: 2, SCOPE: 3, INDEX: 4 } as const;
/** struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type (u8 each), flags u32. */
export const RTMSG = { SIZE: 12, FAMILY: 0, DST_LEN: 1, SRC_LEN: 2, TOS: 3, TABLE: 4, PROTOCOL: 5, SCOPE: 6, TYPE: 7, FLAGS: 8 } as const;

export const IFLA = {
  ADDRESS: 1,
  BROADCAST: 2,
  IFNAME: 3,
  MTU: 4,
  QDISC: 6,
  STATS: 7,
  TXQLEN: 13,
  OPERSTATE: 16,
  LINKMODE: 17,
  STATS64: 23,
  GROUP: 27,
  EXT_MASK: 29,
  PROMISCUITY: 30,
  NUM_TX_QUEUES: 31,
  NUM_RX_QUEUES: 32,
  CARRIER: 33,
  ALT_IFNAME: 53,
} as const;
/** IFLA_EXT_MASK bit: leave IFLA_STATS/IFLA_STATS64 out. */
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;
/** struct rtnl_link_stats (24 u32) and struct rtnl_link_stats64 (25 u64); rx_packets, tx_packets, rx_bytes, tx_bytes come first. */
export const LINK_STATS_SIZE = 96;
export const LINK_STATS64_SIZE = 200;
/** IFLA_OPERSTATE values (RFC 2863). */
export const IF_OPER = { UNKNOWN: 0, DOWN: 2, UP: 6 } as const;
/** ifi_flags bit beyond the 16 SIOCGIFFLAGS carries: the link has carrier. */
export const IFF_LOWER_UP = 0x10000;

export const IFA = { ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4, CACHEINFO: 6, FLAGS: 8 } as const;
export const IFA_F_PERMANENT = 0x80;
/** struct ifa_cacheinfo: ifa_prefered, ifa_valid, cstamp, tstamp (u32 each); 0xffffffff lifetimes are "forever". */
export const IFA_CACHEINFO_SIZE = 16;

export const RTA = { DST: 1, IIF: 3, OIF: 4, GATEWAY: 5, PREFSRC: 7, CACHEINFO: 12, TABLE: 15, UID: 25 } as const;
/** struct rta_cacheinfo: eight 32-bit fields. */
export const RTA_CACHEINFO_SIZE = 32;
export const RTN = { UNICAST: 1, LOCAL: 2, BROADCAST: 3 } as const;
export const RTPROT = { UNSPEC: 0, KERNEL: 2, BOOT: 3 } as const;
export const RT_SCOPE = { UNIVERSE: 0, LINK: 253, HOST: 254 } as const;
export const RT_TABLE = { MAIN: 254, LOCAL: 255 } as const;
export const RTM_F = { CLONED: 0x200, PREFIX: 0x800, LOOKUP_TABLE: 0x1000 } as const;
/** rtm_flags of a looked-up route (include/uapi/linux/in_route.h RTCF_*): to this host, broadcast. */
export const RTCF = { BROADCAST: 0x10000000, LOCAL: 0x80000000 } as const;

/** Families with their own rtnetlink handlers, which Linux does not fold into AF_UNSPEC's "all families". */
export const AF_BRIDGE = 7;
export const AF_MPLS = 28;
export const AF_MCTP = 45;
export const RTNL_FAMILY_IPMR = 128;
export const RTNL_FAMILY_IP6MR = 129;
