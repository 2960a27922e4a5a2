// Network devices and packet sockets on x86_64: the interface ioctls and
// struct ifreq (include/uapi/linux/sockios.h, include/uapi/linux/if.h),
// interface flags, SIOCETHTOOL and struct ethtool_drvinfo
// (include/uapi/linux/ethtool.h), AF_PACKET options, struct sockaddr_ll
// and struct tpacket_auxdata (include/uapi/linux/if_packet.h), struct
// virtio_net_hdr (include/uapi/linux/virtio_net.h). Checked with gcc in
// netdevice.test.ts.

export const SIOC = {
  GIFNAME: 0x8910,
  GIFCONF: 0x8912,
  GIFFLAGS: 0x8913,
  GIFADDR: 0x8915,
  SIFADDR: 0x8916,
  GIFBRDADDR: 0x8919,
  GIFNETMASK: 0x891b,
  GIFMTU: 0x8921,
  GIFHWADDR: 0x8927,
  GIFINDEX: 0x8933,
  GIFTXQLEN: 0x8942,
  ETHTOOL: 0x8946,
} as const;

/** struct ifreq: a 16-byte name, then a 24-byte union (sockaddr, int, or pointer). */
export const IFREQ = { SIZE: 40, NAME: 0, UNION: 16 } as const;
export const IFNAMSIZ = 16;

/** The NUL-terminated interface name at the start of an ifreq (or a bare char[IFNAMSIZ]); at most IFNAMSIZ - 1 bytes, as the kernel forces the last to NUL. */
export function ifName(b: Buffer): string {
  const n = b.subarray(IFREQ.NAME, IFREQ.NAME + IFNAMSIZ - 1);
  const end = n.indexOf(0);
  return n.subarray(0, end < 0 ? n.length : end).toString('latin1');
}

export const IFF = { UP: 0x1, BROADCAST: 0x2, LOOPBACK: 0x8, RUNNING: 0x40, MULTICAST: 0x1000 } as const;

/** sa_family of SIOCGIFHWADDR's sockaddr: Ethernet (and veth), loopback. */
export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;

/** struct ifconf: int ifc_len, then (aligned) the buffer pointer. */
export const IFCONF = { SIZE: 16, LEN: 0, BUF: 8 } as const;

/** rtentry flags in /proc/net/route (include/uapi/linux/route.h). */
export const RTF = { UP: 0x1, GATEWAY: 0x2 } as const;

/** struct ethtool_drvinfo: cmd (u32), then driver[32], version[32], … (196 bytes in all). */
export const ETHTOOL_GDRVINFO = 0x3;
export const ETHTOOL_DRVINFO = { SIZE: 196, CMD: 0, DRIVER: 4, DRIVER_LEN: 32 } as const;

/** ETH_P_ALL in network order, as socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)) wants it. */
export const ETH_P_ALL_BE = 0x0300;

export const SOL_PACKET = 263;
export const PACKET_OPT = { AUXDATA: 8, VNET_HDR: 15, IGNORE_OUTGOING: 23 } as const;

/** struct sockaddr_ll: family u16, protocol be16, ifindex i32, hatype u16, pkttype u8, halen u8, addr[8]. */
export const SOCKADDR_LL = { SIZE: 20, FAMILY: 0, PROTOCOL: 2, IFINDEX: 4 } as const;

/** struct tpacket_auxdata: tp_status u32, tp_len u32, tp_snaplen u32, tp_mac u16, tp_net u16, tp_vlan_tci u16, tp_vlan_tpid u16. */
export const TPACKET_AUXDATA = { SIZE: 20, STATUS: 0 } as const;

/** tp_status bits: the frame's transport checksum is still partial (a local sender's offload), or already verified. */
export const TP_STATUS = { CSUMNOTREADY: 1 << 3, CSUM_VALID: 1 << 7 } as const;

/**
 * struct virtio_net_hdr, which a packet socket with PACKET_VNET_HDR puts in
 * front of every frame both ways: flags u8, gso_type u8, then hdr_len,
 * gso_size, csum_start, csum_offset as u16 (little-endian on x86_64: packet
 * sockets use the legacy virtio byte order, the host's).
 */
export const VIRTIO_NET_HDR = { SIZE: 10, FLAGS: 0, GSO_TYPE: 1, HDR_LEN: 2, GSO_SIZE: 4, CSUM_START: 6, CSUM_OFFSET: 8 } as const;

/** virtio_net_hdr flags: the checksum is partial (csum_start/csum_offset say where), or already verified. */
export const VIRTIO_NET_HDR_F = { NEEDS_CSUM: 1, DATA_VALID: 2 } as const;

/** virtio_net_hdr gso_type values (ECN is a flag or'ed in). */
export const VIRTIO_NET_HDR_GSO = { NONE: 0, TCPV4: 1, UDP: 3, TCPV6: 4, ECN: 0x80 } as const;
