import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { nativeValues } from '../../testing/native';
import {
  EPHEMERAL_PORTS, INADDR, IP, IP_DEFAULT_TTL, IP_PMTUDISC_MAX, IPFRAG_HIGH_THRESH, IPFRAG_TIME_MS, IPPROTO, LINGER_SIZE, SO_INET, SOCKADDR_IN, SOL_IP, SOL_TCP, TCP,
  TCP_FIN_TIMEOUT_MS, TCP_KEEPALIVE_DEFAULTS, TCP_RETRIES,
} from './inet';

const C = `#include <stdio.h>
#include <stddef.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#define P(n, v) printf("%s %ld\\n", n, (long)(v))
int main(void) {
  P("sockaddr_in", sizeof(struct sockaddr_in)); P("sin_port", offsetof(struct sockaddr_in, sin_port));
  P("sin_addr", offsetof(struct sockaddr_in, sin_addr)); P("linger", sizeof(struct linger));
  P("IPPROTO_ICMP", IPPROTO_ICMP); P("IPPROTO_TCP", IPPROTO_TCP); P("IPPROTO_UDP", IPPROTO_UDP);
  P("SOL_IP", SOL_IP); P("SOL_TCP", SOL_TCP); P("IP_TOS", IP_TOS); P("IP_TTL", IP_TTL);
  P("IP_MTU_DISCOVER", IP_MTU_DISCOVER); P("IP_RECVERR", IP_RECVERR); P("IP_PMTUDISC_OMIT", IP_PMTUDISC_OMIT);
  P("TCP_NODELAY", TCP_NODELAY); P("TCP_MAXSEG", TCP_MAXSEG); P("TCP_KEEPIDLE", TCP_KEEPIDLE);
  P("TCP_KEEPINTVL", TCP_KEEPINTVL); P("TCP_KEEPCNT", TCP_KEEPCNT); P("TCP_CORK", TCP_CORK); P("TCP_SYNCNT", TCP_SYNCNT);
  P("TCP_LINGER2", TCP_LINGER2); P("TCP_DEFER_ACCEPT", TCP_DEFER_ACCEPT); P("TCP_QUICKACK", TCP_QUICKACK); P("TCP_USER_TIMEOUT", TCP_USER_TIMEOUT);
  P("SO_BROADCAST", SO_BROADCAST); P("SO_OOBINLINE", SO_OOBINLINE); P("SO_LINGER", SO_LINGER); P("SO_REUSEPORT", SO_REUSEPORT);
  P("INADDR_LOOPBACK", INADDR_LOOPBACK); P("INADDR_BROADCAST", INADDR_BROADCAST);
  return 0;
}`;

/** The host is a stock kernel: its net.ipv4 sysctls are the defaults the stack copies. */
describe('inet ABI against the C library and the host sysctls', () => {
  it('layouts and constants match', () => {
    const n = nativeValues(C);
    assert.equal(n.get('sockaddr_in'), SOCKADDR_IN.SIZE);
    assert.equal(n.get('sin_port'), SOCKADDR_IN.PORT);
    assert.equal(n.get('sin_addr'), SOCKADDR_IN.ADDR);
    assert.equal(n.get('linger'), LINGER_SIZE);
    const pairs: [string, number][] = [
      ['IPPROTO_ICMP', IPPROTO.ICMP], ['IPPROTO_TCP', IPPROTO.TCP], ['IPPROTO_UDP', IPPROTO.UDP], ['SOL_IP', SOL_IP], ['SOL_TCP', SOL_TCP],
      ['IP_TOS', IP.TOS], ['IP_TTL', IP.TTL], ['IP_MTU_DISCOVER', IP.MTU_DISCOVER], ['IP_RECVERR', IP.RECVERR], ['IP_PMTUDISC_OMIT', IP_PMTUDISC_MAX], ['TCP_NODELAY', TCP.NODELAY], ['TCP_MAXSEG', TCP.MAXSEG], ['TCP_KEEPIDLE', TCP.KEEPIDLE],
      ['TCP_KEEPINTVL', TCP.KEEPINTVL], ['TCP_KEEPCNT', TCP.KEEPCNT], ['TCP_CORK', TCP.CORK], ['TCP_SYNCNT', TCP.SYNCNT],
      ['TCP_LINGER2', TCP.LINGER2], ['TCP_DEFER_ACCEPT', TCP.DEFER_ACCEPT], ['TCP_QUICKACK', TCP.QUICKACK], ['TCP_USER_TIMEOUT', TCP.USER_TIMEOUT],
      ['SO_BROADCAST', SO_INET.BROADCAST], ['SO_OOBINLINE', SO_INET.OOBINLINE],
      ['SO_LINGER', SO_INET.LINGER], ['SO_REUSEPORT', SO_INET.REUSEPORT], ['INADDR_LOOPBACK', INADDR.LOOPBACK], ['INADDR_BROADCAST', INADDR.BROADCAST],
    ];
    for (const [name, ours] of pairs) assert.equal(ours, n.get(name), name);
  });

  it('defaults match the kernel sysctls', () => {
    const sysctl = (k: string) => readFileSync(`/proc/sys/net/ipv4/${k}`, 'utf8').trim().split(/\s+/).map(Number);
    assert.equal(sysctl('ip_default_ttl')[0], IP_DEFAULT_TTL);
    assert.deepEqual(sysctl('ip_local_port_range'), [EPHEMERAL_PORTS.FIRST, EPHEMERAL_PORTS.LAST]);
    assert.deepEqual(
      ['tcp_syn_retries', 'tcp_synack_retries', 'tcp_retries2', 'tcp_keepalive_time', 'tcp_keepalive_intvl', 'tcp_keepalive_probes'].map((k) => sysctl(k)[0]),
      [TCP_RETRIES.SYN, TCP_RETRIES.SYNACK, TCP_RETRIES.DATA, TCP_KEEPALIVE_DEFAULTS.IDLE_S, TCP_KEEPALIVE_DEFAULTS.INTVL_S, TCP_KEEPALIVE_DEFAULTS.CNT],
    );
    assert.equal(sysctl('tcp_fin_timeout')[0] * 1000, TCP_FIN_TIMEOUT_MS);
    assert.equal(sysctl('ipfrag_time')[0] * 1000, IPFRAG_TIME_MS);
    assert.equal(sysctl('ipfrag_high_thresh')[0], IPFRAG_HIGH_THRESH);
  });
});
