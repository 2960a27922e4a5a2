// Sockets on x86_64: address families and MSG_* flags (include/linux/socket.h),
// socket types (include/linux/net.h), SOL_SOCKET options
// (include/uapi/asm-generic/socket.h), struct sockaddr_un
// (include/uapi/linux/un.h), struct ucred, SIOCINQ/SIOCOUTQ
// (include/uapi/asm-generic/ioctls.h) and the net.core/net.unix sysctl
// defaults. The msghdr/cmsghdr layouts and SCM_RIGHTS are in scm.ts.

export const AF = {
  UNSPEC: 0,
  UNIX: 1,
  INET: 2,
  INET6: 10,
  NETLINK: 16,
  PACKET: 17,
} as const;

/** AF_MAX: families at or above it are EAFNOSUPPORT without further checks. */
export const AF_MAX = 46;

export const SOCK = {
  STREAM: 1,
  DGRAM: 2,
  RAW: 3,
  RDM: 4,
  SEQPACKET: 5,
  TYPE_MASK: 0xf,
  NONBLOCK: 0o4000,
  CLOEXEC: 0o2000000,
} as const;

export const SO = {
  DEBUG: 1,
  REUSEADDR: 2,
  TYPE: 3,
  ERROR: 4,
  SNDBUF: 7,
  RCVBUF: 8,
  KEEPALIVE: 9,
  PASSCRED: 16,
  PEERCRED: 17,
  RCVTIMEO: 20,
  SNDTIMEO: 21,
  ACCEPTCONN: 30,
  SNDBUFFORCE: 32,
  RCVBUFFORCE: 33,
  PROTOCOL: 38,
  DOMAIN: 39,
} as const;

export const SCM_CREDENTIALS = 2;
/** SCM_MAX_FD: descriptors one SCM_RIGHTS message may carry. */
export const SCM_MAX_FD = 253;

/** MSG_* flags beyond those in scm.ts. */
export const MSG_FLAGS = {
  OOB: 0x1,
  PEEK: 0x2,
  TRUNC: 0x20,
  EOR: 0x80,
  WAITALL: 0x100,
  ERRQUEUE: 0x2000,
  WAITFORONE: 0x10000,
} as const;

export const SHUT = { RD: 0, WR: 1, RDWR: 2 } as const;

/** struct sockaddr_un: sa_family_t sun_family; char sun_path[108]. */
export const SOCKADDR_UN = { SIZE: 110, PATH: 2, PATH_MAX: 108 } as const;

/** struct ucred: pid, uid, gid (three 32-bit ints). */
export const UCRED_SIZE = 12;

/** struct timeval (SO_RCVTIMEO/SO_SNDTIMEO): tv_sec, tv_usec, both 64-bit. */
export const TIMEVAL_SIZE = 16;

/** FIONREAD == SIOCINQ; TIOCOUTQ == SIOCOUTQ. */
export const SIOCINQ = 0x541b;
export const SIOCOUTQ = 0x5411;

/** net.core.wmem_default/rmem_default and wmem_max/rmem_max (212992 on Linux). */
export const SOCK_BUF_DEFAULT = 212992;
export const SOCK_BUF_MAX = 212992;
/** SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF for a 64-bit kernel. */
export const SOCK_MIN_SNDBUF = 4608;
export const SOCK_MIN_RCVBUF = 2304;
/** net.core.somaxconn: listen(2) backlogs are capped to it. */
export const SOMAXCONN = 4096;
/** net.unix.max_dgram_qlen. */
export const UNIX_MAX_DGRAM_QLEN = 10;
