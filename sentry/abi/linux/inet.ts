// IPv4 sockets on x86_64: protocol numbers and struct sockaddr_in
// (include/uapi/linux/in.h), IP_* options (include/uapi/linux/in.h), TCP_*
// options (include/uapi/linux/tcp.h), SO_* options not in socket.ts
// (include/uapi/asm-generic/socket.h), struct linger (include/linux/socket.h)
// and the net.ipv4 sysctl defaults the user-space stack copies. Checked with
// gcc in inet.test.ts.

export const IPPROTO = {
  IP: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
} as const;

/** Option levels: SOL_IP == IPPROTO_IP, SOL_TCP == IPPROTO_TCP, SOL_UDP == IPPROTO_UDP. */
export const SOL_IP = IPPROTO.IP;
export const SOL_TCP = IPPROTO.TCP;

export const IP = {
  TOS: 1,
  TTL: 2,
  MTU_DISCOVER: 10,
  RECVERR: 11,
} as const;

/** IP_MTU_DISCOVER values run from IP_PMTUDISC_DONT (0) to IP_PMTUDISC_OMIT (5). */
export const IP_PMTUDISC_MAX = 5;

export const TCP = {
  NODELAY: 1,
  MAXSEG: 2,
  CORK: 3,
  KEEPIDLE: 4,
  KEEPINTVL: 5,
  KEEPCNT: 6,
  SYNCNT: 7,
  LINGER2: 8,
  DEFER_ACCEPT: 9,
  QUICKACK: 12,
  USER_TIMEOUT: 18,
} as const;

/** SOL_SOCKET options used by inet sockets and not already in socket.ts's SO. */
export const SO_INET = {
  BROADCAST: 6,
  OOBINLINE: 10,
  LINGER: 13,
  REUSEPORT: 15,
} as const;

/** struct sockaddr_in: sa_family_t sin_family; __be16 sin_port; struct in_addr sin_addr; 8 bytes of zero. */
export const SOCKADDR_IN = { SIZE: 16, FAMILY: 0, PORT: 2, ADDR: 4 } as const;

/** struct linger { int l_onoff; int l_linger; }. */
export const LINGER_SIZE = 8;

/** INADDR_ANY, INADDR_BROADCAST, INADDR_LOOPBACK as host-order numbers. */
export const INADDR = {
  ANY: 0,
  BROADCAST: 0xffffffff,
  LOOPBACK: 0x7f000001,
} as const;

/** net.ipv4.ip_default_ttl. */
export const IP_DEFAULT_TTL = 64;
/** net.ipv4.ip_local_port_range. */
export const EPHEMERAL_PORTS = { FIRST: 32768, LAST: 60999 } as const;
/** net.ipv4.tcp_keepalive_time/intvl/probes (seconds, seconds, count). */
export const TCP_KEEPALIVE_DEFAULTS = { IDLE_S: 7200, INTVL_S: 75, CNT: 9 } as const;
/** The largest TCP_KEEPIDLE/TCP_KEEPINTVL (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL) and TCP_KEEPCNT (MAX_TCP_KEEPCNT). */
export const TCP_KEEPALIVE_MAX = { IDLE_S: 32767, INTVL_S: 32767, CNT: 127 } as const;
/** net.ipv4.tcp_syn_retries, tcp_synack_retries, tcp_retries2. */
export const TCP_RETRIES = { SYN: 6, SYNACK: 5, DATA: 15 } as const;
/** net.ipv4.tcp_fin_timeout and TCP_TIMEWAIT_LEN (both 60 s). */
export const TCP_FIN_TIMEOUT_MS = 60_000;
export const TCP_TIMEWAIT_MS = 60_000;
/** net.ipv4.ipfrag_time (30 s) and ipfrag_high_thresh (4 MiB). */
export const IPFRAG_TIME_MS = 30_000;
export const IPFRAG_HIGH_THRESH = 4 * 1024 * 1024;
