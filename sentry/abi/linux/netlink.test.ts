import assert from 'node:assert/strict';
import { nativeValues } from '../../testing/native';
import {
  AF_BRIDGE, AF_MCTP, AF_MPLS, IF_OPER, IFA, IFA_CACHEINFO_SIZE, IFA_F_PERMANENT, IFADDRMSG, IFF_LOWER_UP, IFINFOMSG, IFLA, LINK_STATS_SIZE,
  LINK_STATS64_SIZE, NETLINK_MAX_LINKS, NETLINK_OPT, NETLINK_ROUTE, NLA_HDRLEN, NLM_F, NLMSG, NLMSG_ALIGNTO, NLMSGERR_ATTR_MSG, NLMSGERR_SIZE,
  NLMSGHDR, RT_SCOPE, RT_TABLE, RTA, RTA_CACHEINFO_SIZE, RTCF, RTEXT_FILTER_SKIP_STATS, RTGENMSG_SIZE, RTM, RTM_F, RTM_MAX, RTMSG, RTN,
  RTNL_FAMILY_IP6MR, RTNL_FAMILY_IPMR, RTNLGRP_MAX, RTPROT, SOCKADDR_NL, SOL_NETLINK,
} from './netlink';

const C = `#include <stdio.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/if.h>
#include <linux/in_route.h>
#define P(n, v) printf("%s %ld\\n", n, (long)(v))
#define N(c) P(#c, c)
#define O(s, f) P(#s "." #f, offsetof(struct s, f))
int main(void) {
  N(NETLINK_ROUTE); N(MAX_LINKS); N(SOL_NETLINK); N(NETLINK_ADD_MEMBERSHIP); N(NETLINK_DROP_MEMBERSHIP); N(NETLINK_PKTINFO);
  N(NETLINK_BROADCAST_ERROR); N(NETLINK_NO_ENOBUFS); N(NETLINK_LISTEN_ALL_NSID); N(NETLINK_LIST_MEMBERSHIPS); N(NETLINK_CAP_ACK);
  N(NETLINK_EXT_ACK); N(NETLINK_GET_STRICT_CHK);
  P("sockaddr_nl", sizeof(struct sockaddr_nl)); O(sockaddr_nl, nl_family); O(sockaddr_nl, nl_pid); O(sockaddr_nl, nl_groups);
  P("nlmsghdr", sizeof(struct nlmsghdr)); O(nlmsghdr, nlmsg_len); O(nlmsghdr, nlmsg_type); O(nlmsghdr, nlmsg_flags);
  O(nlmsghdr, nlmsg_seq); O(nlmsghdr, nlmsg_pid); N(NLMSG_ALIGNTO); N(NLA_HDRLEN); P("nlmsgerr", sizeof(struct nlmsgerr));
  N(NLMSGERR_ATTR_MSG);
  N(NLM_F_REQUEST); N(NLM_F_MULTI); N(NLM_F_ACK); N(NLM_F_ECHO); N(NLM_F_DUMP_INTR); N(NLM_F_DUMP_FILTERED); N(NLM_F_DUMP);
  N(NLM_F_CAPPED); N(NLM_F_ACK_TLVS); N(NLMSG_NOOP); N(NLMSG_ERROR); N(NLMSG_DONE); N(NLMSG_OVERRUN); N(NLMSG_MIN_TYPE);
  N(RTM_NEWLINK); N(RTM_GETLINK); N(RTM_NEWADDR); N(RTM_GETADDR); N(RTM_NEWROUTE); N(RTM_GETROUTE); N(RTM_BASE); N(RTM_MAX);
  N(RTNLGRP_MAX); P("rtgenmsg", sizeof(struct rtgenmsg));
  P("ifinfomsg", sizeof(struct ifinfomsg)); O(ifinfomsg, ifi_family); O(ifinfomsg, ifi_type); O(ifinfomsg, ifi_index);
  O(ifinfomsg, ifi_flags); O(ifinfomsg, ifi_change);
  P("ifaddrmsg", sizeof(struct ifaddrmsg)); O(ifaddrmsg, ifa_family); O(ifaddrmsg, ifa_prefixlen); O(ifaddrmsg, ifa_flags);
  O(ifaddrmsg, ifa_scope); O(ifaddrmsg, ifa_index);
  P("rtmsg", sizeof(struct rtmsg)); O(rtmsg, rtm_family); O(rtmsg, rtm_dst_len); O(rtmsg, rtm_src_len); O(rtmsg, rtm_tos);
  O(rtmsg, rtm_table); O(rtmsg, rtm_protocol); O(rtmsg, rtm_scope); O(rtmsg, rtm_type); O(rtmsg, rtm_flags);
  N(IFLA_ADDRESS); N(IFLA_BROADCAST); N(IFLA_IFNAME); N(IFLA_MTU); N(IFLA_QDISC); N(IFLA_STATS); N(IFLA_TXQLEN); N(IFLA_OPERSTATE);
  N(IFLA_LINKMODE); N(IFLA_STATS64); N(IFLA_GROUP); N(IFLA_EXT_MASK); N(IFLA_PROMISCUITY); N(IFLA_NUM_TX_QUEUES);
  N(IFLA_NUM_RX_QUEUES); N(IFLA_CARRIER); N(IFLA_ALT_IFNAME); N(RTEXT_FILTER_SKIP_STATS);
  P("rtnl_link_stats", sizeof(struct rtnl_link_stats)); P("rtnl_link_stats64", sizeof(struct rtnl_link_stats64));
  O(rtnl_link_stats64, rx_packets); O(rtnl_link_stats64, tx_packets); O(rtnl_link_stats64, rx_bytes); O(rtnl_link_stats64, tx_bytes);
  O(rtnl_link_stats64, tx_dropped); O(rtnl_link_stats, tx_dropped);
  N(IF_OPER_UNKNOWN); N(IF_OPER_UP); N(IFF_LOWER_UP);
  N(IFA_ADDRESS); N(IFA_LOCAL); N(IFA_LABEL); N(IFA_BROADCAST); N(IFA_CACHEINFO); N(IFA_FLAGS); N(IFA_F_PERMANENT);
  P("ifa_cacheinfo", sizeof(struct ifa_cacheinfo));
  N(RTA_DST); N(RTA_IIF); N(RTA_OIF); N(RTA_GATEWAY); N(RTA_PREFSRC); N(RTA_CACHEINFO); N(RTA_TABLE); N(RTA_UID);
  P("rta_cacheinfo", sizeof(struct rta_cacheinfo)); N(RTN_UNICAST); N(RTN_LOCAL); N(RTN_BROADCAST); N(RTPROT_UNSPEC);
  N(RTPROT_KERNEL); N(RTPROT_BOOT); N(RT_SCOPE_UNIVERSE); N(RT_SCOPE_LINK); N(RT_SCOPE_HOST); N(RT_TABLE_MAIN); N(RT_TABLE_LOCAL);
  N(RTM_F_CLONED); N(RTM_F_PREFIX); N(RTM_F_LOOKUP_TABLE); N(RTCF_BROADCAST); N(RTCF_LOCAL);
  N(AF_BRIDGE); N(AF_MPLS); N(AF_MCTP); N(RTNL_FAMILY_IPMR); N(RTNL_FAMILY_IP6MR);
  return 0;
}`;

describe('netlink ABI against the C library', () => {
  it('rtnetlink constants and layouts match', () => {
    const n = nativeValues(C);
    const pairs: [string, number][] = [
      ['NETLINK_ROUTE', NETLINK_ROUTE], ['MAX_LINKS', NETLINK_MAX_LINKS], ['SOL_NETLINK', SOL_NETLINK],
      ['NETLINK_ADD_MEMBERSHIP', NETLINK_OPT.ADD_MEMBERSHIP], ['NETLINK_DROP_MEMBERSHIP', NETLINK_OPT.DROP_MEMBERSHIP],
      ['NETLINK_PKTINFO', NETLINK_OPT.PKTINFO], ['NETLINK_BROADCAST_ERROR', NETLINK_OPT.BROADCAST_ERROR],
      ['NETLINK_NO_ENOBUFS', NETLINK_OPT.NO_ENOBUFS], ['NETLINK_LISTEN_ALL_NSID', NETLINK_OPT.LISTEN_ALL_NSID],
      ['NETLINK_LIST_MEMBERSHIPS', NETLINK_OPT.LIST_MEMBERSHIPS], ['NETLINK_CAP_ACK', NETLINK_OPT.CAP_ACK],
      ['NETLINK_EXT_ACK', NETLINK_OPT.EXT_ACK], ['NETLINK_GET_STRICT_CHK', NETLINK_OPT.GET_STRICT_CHK],
      ['sockaddr_nl', SOCKADDR_NL.SIZE], ['sockaddr_nl.nl_family', SOCKADDR_NL.FAMILY], ['sockaddr_nl.nl_pid', SOCKADDR_NL.PID],
      ['sockaddr_nl.nl_groups', SOCKADDR_NL.GROUPS],
      ['nlmsghdr', NLMSGHDR.SIZE], ['nlmsghdr.nlmsg_len', NLMSGHDR.LEN], ['nlmsghdr.nlmsg_type', NLMSGHDR.TYPE],
      ['nlmsghdr.nlmsg_flags', NLMSGHDR.FLAGS], ['nlmsghdr.nlmsg_seq', NLMSGHDR.SEQ], ['nlmsghdr.nlmsg_pid', NLMSGHDR.PID],
      ['NLMSG_ALIGNTO', NLMSG_ALIGNTO], ['NLA_HDRLEN', NLA_HDRLEN], ['nlmsgerr', NLMSGERR_SIZE], ['NLMSGERR_ATTR_MSG', NLMSGERR_ATTR_MSG],
      ['NLM_F_REQUEST', NLM_F.REQUEST], ['NLM_F_MULTI', NLM_F.MULTI], ['NLM_F_ACK', NLM_F.ACK], ['NLM_F_ECHO', NLM_F.ECHO],
      ['NLM_F_DUMP_INTR', NLM_F.DUMP_INTR], ['NLM_F_DUMP_FILTERED', NLM_F.DUMP_FILTERED], ['NLM_F_DUMP', NLM_F.DUMP],
      ['NLM_F_CAPPED', NLM_F.CAPPED], ['NLM_F_ACK_TLVS', NLM_F.ACK_TLVS],
      ['NLMSG_NOOP', NLMSG.NOOP], ['NLMSG_ERROR', NLMSG.ERROR], ['NLMSG_DONE', NLMSG.DONE], ['NLMSG_OVERRUN', NLMSG.OVERRUN],
      ['NLMSG_MIN_TYPE', NLMSG.MIN_TYPE],
      ['RTM_NEWLINK', RTM.NEWLINK], ['RTM_GETLINK', RTM.GETLINK], ['RTM_NEWADDR', RTM.NEWADDR], ['RTM_GETADDR', RTM.GETADDR],
      ['RTM_NEWROUTE', RTM.NEWROUTE], ['RTM_GETROUTE', RTM.GETROUTE], ['RTM_BASE', RTM.BASE], ['RTM_MAX', RTM_MAX],
      ['RTNLGRP_MAX', RTNLGRP_MAX], ['rtgenmsg', RTGENMSG_SIZE],
      ['ifinfomsg', IFINFOMSG.SIZE], ['ifinfomsg.ifi_family', IFINFOMSG.FAMILY], ['ifinfomsg.ifi_type', IFINFOMSG.TYPE],
      ['ifinfomsg.ifi_index', IFINFOMSG.INDEX], ['ifinfomsg.ifi_flags', IFINFOMSG.FLAGS], ['ifinfomsg.ifi_change', IFINFOMSG.CHANGE],
      ['ifaddrmsg', IFADDRMSG.SIZE], ['ifaddrmsg.ifa_family', IFADDRMSG.FAMILY], ['ifaddrmsg.ifa_prefixlen', IFADDRMSG.PREFIXLEN],
      ['ifaddrmsg.ifa_flags', IFADDRMSG.FLAGS], ['ifaddrmsg.ifa_scope', IFADDRMSG.SCOPE], ['ifaddrmsg.ifa_index', IFADDRMSG.INDEX],
      ['rtmsg', RTMSG.SIZE], ['rtmsg.rtm_family', RTMSG.FAMILY], ['rtmsg.rtm_dst_len', RTMSG.DST_LEN], ['rtmsg.rtm_src_len', RTMSG.SRC_LEN],
      ['rtmsg.rtm_tos', RTMSG.TOS], ['rtmsg.rtm_table', RTMSG.TABLE], ['rtmsg.rtm_protocol', RTMSG.PROTOCOL],
      ['rtmsg.rtm_scope', RTMSG.SCOPE], ['rtmsg.rtm_type', RTMSG.TYPE], ['rtmsg.rtm_flags', RTMSG.FLAGS],
      ['IFLA_ADDRESS', IFLA.ADDRESS], ['IFLA_BROADCAST', IFLA.BROADCAST], ['IFLA_IFNAME', IFLA.IFNAME], ['IFLA_MTU', IFLA.MTU],
      ['IFLA_QDISC', IFLA.QDISC], ['IFLA_STATS', IFLA.STATS], ['IFLA_TXQLEN', IFLA.TXQLEN], ['IFLA_OPERSTATE', IFLA.OPERSTATE],
      ['IFLA_LINKMODE', IFLA.LINKMODE], ['IFLA_STATS64', IFLA.STATS64], ['IFLA_GROUP', IFLA.GROUP], ['IFLA_EXT_MASK', IFLA.EXT_MASK],
      ['IFLA_PROMISCUITY', IFLA.PROMISCUITY], ['IFLA_NUM_TX_QUEUES', IFLA.NUM_TX_QUEUES], ['IFLA_NUM_RX_QUEUES', IFLA.NUM_RX_QUEUES],
      ['IFLA_CARRIER', IFLA.CARRIER], ['IFLA_ALT_IFNAME', IFLA.ALT_IFNAME], ['RTEXT_FILTER_SKIP_STATS', RTEXT_FILTER_SKIP_STATS],
      ['rtnl_link_stats', LINK_STATS_SIZE], ['rtnl_link_stats64', LINK_STATS64_SIZE],
      ['rtnl_link_stats64.rx_packets', 0], ['rtnl_link_stats64.tx_packets', 8], ['rtnl_link_stats64.rx_bytes', 16],
      ['rtnl_link_stats64.tx_bytes', 24], ['rtnl_link_stats64.tx_dropped', 7 * 8], ['rtnl_link_stats.tx_dropped', 7 * 4],
      ['IF_OPER_UNKNOWN', IF_OPER.UNKNOWN], ['IF_OPER_UP', IF_OPER.UP], ['IFF_LOWER_UP', IFF_LOWER_UP],
      ['IFA_ADDRESS', IFA.ADDRESS], ['IFA_LOCAL', IFA.LOCAL], ['IFA_LABEL', IFA.LABEL], ['IFA_BROADCAST', IFA.BROADCAST],
      ['IFA_CACHEINFO', IFA.CACHEINFO], ['IFA_FLAGS', IFA.FLAGS], ['IFA_F_PERMANENT', IFA_F_PERMANENT], ['ifa_cacheinfo', IFA_CACHEINFO_SIZE],
      ['RTA_DST', RTA.DST], ['RTA_IIF', RTA.IIF], ['RTA_OIF', RTA.OIF], ['RTA_GATEWAY', RTA.GATEWAY], ['RTA_PREFSRC', RTA.PREFSRC],
      ['RTA_CACHEINFO', RTA.CACHEINFO], ['RTA_TABLE', RTA.TABLE], ['RTA_UID', RTA.UID], ['rta_cacheinfo', RTA_CACHEINFO_SIZE],
      ['RTN_UNICAST', RTN.UNICAST], ['RTN_LOCAL', RTN.LOCAL], ['RTN_BROADCAST', RTN.BROADCAST], ['RTPROT_UNSPEC', RTPROT.UNSPEC],
      ['RTPROT_KERNEL', RTPROT.KERNEL], ['RTPROT_BOOT', RTPROT.BOOT], ['RT_SCOPE_UNIVERSE', RT_SCOPE.UNIVERSE],
      ['RT_SCOPE_LINK', RT_SCOPE.LINK], ['RT_SCOPE_HOST', RT_SCOPE.HOST], ['RT_TABLE_MAIN', RT_TABLE.MAIN], ['RT_TABLE_LOCAL', RT_TABLE.LOCAL],
      ['RTM_F_CLONED', RTM_F.CLONED], ['RTM_F_PREFIX', RTM_F.PREFIX], ['RTM_F_LOOKUP_TABLE', RTM_F.LOOKUP_TABLE],
      ['RTCF_BROADCAST', RTCF.BROADCAST], ['RTCF_LOCAL', RTCF.LOCAL],
      ['AF_BRIDGE', AF_BRIDGE], ['AF_MPLS', AF_MPLS], ['AF_MCTP', AF_MCTP], ['RTNL_FAMILY_IPMR', RTNL_FAMILY_IPMR],
      ['RTNL_FAMILY_IP6MR', RTNL_FAMILY_IP6MR],
    ];
    for (const [name, ours] of pairs) assert.equal(ours, n.get(name), name);
  });
});
