import assert from 'node:assert/strict';
import { nativeValues } from '../../testing/native';
import {
  ARPHRD_ETHER, ARPHRD_LOOPBACK, ETH_P_ALL_BE, IFCONF, RTF, ETHTOOL_DRVINFO, ETHTOOL_GDRVINFO, IFF, IFNAMSIZ, IFREQ, PACKET_OPT, SIOC, SOCKADDR_LL, SOL_PACKET, TP_STATUS, TPACKET_AUXDATA,
  VIRTIO_NET_HDR, VIRTIO_NET_HDR_F, VIRTIO_NET_HDR_GSO,
} from './netdevice';

const C = `#include <stdio.h>
#include <stddef.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/route.h>
#include <linux/virtio_net.h>
#define P(n, v) printf("%s %ld\\n", n, (long)(v))
int main(void) {
  P("SIOCGIFFLAGS", SIOCGIFFLAGS); P("SIOCGIFADDR", SIOCGIFADDR); P("SIOCSIFADDR", SIOCSIFADDR); P("SIOCGIFNETMASK", SIOCGIFNETMASK);
  P("SIOCGIFMTU", SIOCGIFMTU); P("SIOCGIFHWADDR", SIOCGIFHWADDR); P("SIOCGIFINDEX", SIOCGIFINDEX); P("SIOCETHTOOL", SIOCETHTOOL);
  P("SIOCGIFNAME", SIOCGIFNAME); P("SIOCGIFTXQLEN", SIOCGIFTXQLEN); P("SIOCGIFCONF", SIOCGIFCONF); P("SIOCGIFBRDADDR", SIOCGIFBRDADDR);
  P("ifconf", sizeof(struct ifconf)); P("ifc_len", offsetof(struct ifconf, ifc_len)); P("ifc_buf", offsetof(struct ifconf, ifc_ifcu));
  P("IFF_BROADCAST", IFF_BROADCAST); P("IFF_MULTICAST", IFF_MULTICAST); P("ARPHRD_LOOPBACK", ARPHRD_LOOPBACK);
  P("RTF_UP", RTF_UP); P("RTF_GATEWAY", RTF_GATEWAY);
  P("ifreq", sizeof(struct ifreq)); P("ifr_ifru", offsetof(struct ifreq, ifr_ifru)); P("IFNAMSIZ", IFNAMSIZ);
  P("IFF_UP", IFF_UP); P("IFF_LOOPBACK", IFF_LOOPBACK); P("IFF_RUNNING", IFF_RUNNING); P("ARPHRD_ETHER", ARPHRD_ETHER);
  P("ETHTOOL_GDRVINFO", ETHTOOL_GDRVINFO); P("drvinfo", sizeof(struct ethtool_drvinfo)); P("driver", offsetof(struct ethtool_drvinfo, driver));
  P("driver_len", sizeof(((struct ethtool_drvinfo *)0)->driver));
  P("ETH_P_ALL_BE", htons(ETH_P_ALL)); P("SOL_PACKET", SOL_PACKET); P("PACKET_AUXDATA", PACKET_AUXDATA); P("PACKET_IGNORE_OUTGOING", PACKET_IGNORE_OUTGOING);
  P("sockaddr_ll", sizeof(struct sockaddr_ll)); P("sll_protocol", offsetof(struct sockaddr_ll, sll_protocol)); P("sll_ifindex", offsetof(struct sockaddr_ll, sll_ifindex));
  P("auxdata", sizeof(struct tpacket_auxdata)); P("tp_status", offsetof(struct tpacket_auxdata, tp_status));
  P("TP_STATUS_CSUMNOTREADY", TP_STATUS_CSUMNOTREADY); P("TP_STATUS_CSUM_VALID", TP_STATUS_CSUM_VALID);
  P("PACKET_VNET_HDR", PACKET_VNET_HDR); P("vnet_hdr", sizeof(struct virtio_net_hdr));
  P("vh_flags", offsetof(struct virtio_net_hdr, flags)); P("vh_gso_type", offsetof(struct virtio_net_hdr, gso_type));
  P("vh_hdr_len", offsetof(struct virtio_net_hdr, hdr_len)); P("vh_gso_size", offsetof(struct virtio_net_hdr, gso_size));
  P("vh_csum_start", offsetof(struct virtio_net_hdr, csum_start)); P("vh_csum_offset", offsetof(struct virtio_net_hdr, csum_offset));
  P("F_NEEDS_CSUM", VIRTIO_NET_HDR_F_NEEDS_CSUM); P("F_DATA_VALID", VIRTIO_NET_HDR_F_DATA_VALID);
  P("GSO_NONE", VIRTIO_NET_HDR_GSO_NONE); P("GSO_TCPV4", VIRTIO_NET_HDR_GSO_TCPV4); P("GSO_UDP", VIRTIO_NET_HDR_GSO_UDP);
  P("GSO_TCPV6", VIRTIO_NET_HDR_GSO_TCPV6); P("GSO_ECN", VIRTIO_NET_HDR_GSO_ECN);
  return 0;
}`;

describe('netdevice ABI against the C library', () => {
  it('ioctls, layouts and packet socket constants match', () => {
    const n = nativeValues(C);
    const pairs: [string, number][] = [
      ['SIOCGIFFLAGS', SIOC.GIFFLAGS], ['SIOCGIFADDR', SIOC.GIFADDR], ['SIOCSIFADDR', SIOC.SIFADDR], ['SIOCGIFNETMASK', SIOC.GIFNETMASK],
      ['SIOCGIFMTU', SIOC.GIFMTU], ['SIOCGIFHWADDR', SIOC.GIFHWADDR], ['SIOCGIFINDEX', SIOC.GIFINDEX], ['SIOCETHTOOL', SIOC.ETHTOOL],
      ['SIOCGIFNAME', SIOC.GIFNAME], ['SIOCGIFTXQLEN', SIOC.GIFTXQLEN], ['SIOCGIFCONF', SIOC.GIFCONF], ['SIOCGIFBRDADDR', SIOC.GIFBRDADDR], ['ifconf', IFCONF.SIZE],
      ['ifc_len', IFCONF.LEN], ['ifc_buf', IFCONF.BUF], ['IFF_BROADCAST', IFF.BROADCAST], ['IFF_MULTICAST', IFF.MULTICAST],
      ['ARPHRD_LOOPBACK', ARPHRD_LOOPBACK], ['RTF_UP', RTF.UP], ['RTF_GATEWAY', RTF.GATEWAY],
      ['ifreq', IFREQ.SIZE], ['ifr_ifru', IFREQ.UNION], ['IFNAMSIZ', IFNAMSIZ], ['IFF_UP', IFF.UP], ['IFF_LOOPBACK', IFF.LOOPBACK],
      ['IFF_RUNNING', IFF.RUNNING], ['ARPHRD_ETHER', ARPHRD_ETHER], ['ETHTOOL_GDRVINFO', ETHTOOL_GDRVINFO], ['drvinfo', ETHTOOL_DRVINFO.SIZE],
      ['driver', ETHTOOL_DRVINFO.DRIVER], ['driver_len', ETHTOOL_DRVINFO.DRIVER_LEN], ['ETH_P_ALL_BE', ETH_P_ALL_BE], ['SOL_PACKET', SOL_PACKET],
      ['PACKET_AUXDATA', PACKET_OPT.AUXDATA], ['PACKET_IGNORE_OUTGOING', PACKET_OPT.IGNORE_OUTGOING], ['sockaddr_ll', SOCKADDR_LL.SIZE],
      ['sll_protocol', SOCKADDR_LL.PROTOCOL], ['sll_ifindex', SOCKADDR_LL.IFINDEX], ['auxdata', TPACKET_AUXDATA.SIZE],
      ['tp_status', TPACKET_AUXDATA.STATUS], ['TP_STATUS_CSUMNOTREADY', TP_STATUS.CSUMNOTREADY], ['TP_STATUS_CSUM_VALID', TP_STATUS.CSUM_VALID],
      ['PACKET_VNET_HDR', PACKET_OPT.VNET_HDR], ['vnet_hdr', VIRTIO_NET_HDR.SIZE], ['vh_flags', VIRTIO_NET_HDR.FLAGS],
      ['vh_gso_type', VIRTIO_NET_HDR.GSO_TYPE], ['vh_hdr_len', VIRTIO_NET_HDR.HDR_LEN], ['vh_gso_size', VIRTIO_NET_HDR.GSO_SIZE],
      ['vh_csum_start', VIRTIO_NET_HDR.CSUM_START], ['vh_csum_offset', VIRTIO_NET_HDR.CSUM_OFFSET], ['F_NEEDS_CSUM', VIRTIO_NET_HDR_F.NEEDS_CSUM],
      ['F_DATA_VALID', VIRTIO_NET_HDR_F.DATA_VALID], ['GSO_NONE', VIRTIO_NET_HDR_GSO.NONE], ['GSO_TCPV4', VIRTIO_NET_HDR_GSO.TCPV4],
      ['GSO_UDP', VIRTIO_NET_HDR_GSO.UDP], ['GSO_TCPV6', VIRTIO_NET_HDR_GSO.TCPV6], ['GSO_ECN', VIRTIO_NET_HDR_GSO.ECN],
    ];
    for (const [name, ours] of pairs) assert.equal(ours, n.get(name), name);
  });
});
