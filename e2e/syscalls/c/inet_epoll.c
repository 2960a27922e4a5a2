/*
 * TCP and UDP on 127.0.0.1 driven by a non-blocking event loop: connect
 * with EINPROGRESS, epoll for accept/writable/readable/RDHUP, SO_ERROR,
 * a refused connect, MSG_PEEK, FIONREAD, socket options and UDP
 * truncation. Prints only what is the same on every run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "inet_util.h"

#define TOTAL 300000

static void die(const char *what) {
  printf("%s: %s\n", what, strerror(errno));
  exit(1);
}

/* The result of one call and its errno (evaluated in that order). */
#define SHOW(label, expr)                                                   \
  do {                                                                      \
    long r_ = (long)(expr);                                                 \
    printf("%s: %ld %s\n", label, r_, r_ < 0 ? strerror(errno) : "ok");    \
  } while (0)


static int intopt(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  if (getsockopt(fd, level, name, &v, &len) < 0) return -errno;
  return v;
}

static void options(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  printf("type %d protocol %d domain %d\n", intopt(s, SOL_SOCKET, SO_TYPE), intopt(s, SOL_SOCKET, SO_PROTOCOL), intopt(s, SOL_SOCKET, SO_DOMAIN));
  int one = 1, small = 4096;
  printf("nodelay %d", intopt(s, IPPROTO_TCP, TCP_NODELAY));
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  printf(" -> %d\n", intopt(s, IPPROTO_TCP, TCP_NODELAY));
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  printf("rcvbuf %d sndbuf %d\n", intopt(s, SOL_SOCKET, SO_RCVBUF), intopt(s, SOL_SOCKET, SO_SNDBUF));
  setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  int idle = 30;
  setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  printf("keepalive %d idle %d intvl %d cnt %d\n", intopt(s, SOL_SOCKET, SO_KEEPALIVE), intopt(s, IPPROTO_TCP, TCP_KEEPIDLE),
         intopt(s, IPPROTO_TCP, TCP_KEEPINTVL), intopt(s, IPPROTO_TCP, TCP_KEEPCNT));
  printf("ttl %d reuseaddr %d error %d\n", intopt(s, IPPROTO_IP, IP_TTL), intopt(s, SOL_SOCKET, SO_REUSEADDR), intopt(s, SOL_SOCKET, SO_ERROR));
  struct linger l = {1, 0};
  setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  socklen_t ll = sizeof l;
  memset(&l, 0xff, sizeof l);
  getsockopt(s, SOL_SOCKET, SO_LINGER, &l, &ll);
  printf("linger %d %d len %d\n", l.l_onoff, l.l_linger, (int)ll);
  printf("unknown option: %d\n", intopt(s, IPPROTO_TCP, 9999));
  struct sockaddr_in6 six = {.sin6_family = AF_INET6};
  SHOW("bind AF_INET6 address", bind(s, (struct sockaddr *)&six, sizeof six));
  struct sockaddr_in a = loopback(0);
  SHOW("bind short", bind(s, (struct sockaddr *)&a, 8));
  SHOW("send unconnected (MSG_NOSIGNAL)", send(s, "x", 1, MSG_NOSIGNAL));
  close(s);
}

static void refused(void) {
  int p = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = loopback(0);
  if (bind(p, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  a = loopback(port_of(p));
  close(p);
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  SHOW("refused connect", connect(c, (struct sockaddr *)&a, sizeof a));
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLOUT, .data.fd = c};
  epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
  int n = epoll_wait(ep, &ev, 1, 5000);
  printf("epoll %d: out %d err %d hup %d\n", n, !!(ev.events & EPOLLOUT), !!(ev.events & EPOLLERR), !!(ev.events & EPOLLHUP));
  int e1 = intopt(c, SOL_SOCKET, SO_ERROR);
  printf("SO_ERROR %s, then %d\n", strerror(e1), intopt(c, SOL_SOCKET, SO_ERROR));
  SHOW("connect again", connect(c, (struct sockaddr *)&a, sizeof a));
  close(ep);
  close(c);
  c = socket(AF_INET, SOCK_STREAM, 0);
  SHOW("blocking refused connect", connect(c, (struct sockaddr *)&a, sizeof a));
  close(c);
}

static void stream(void) {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = loopback(0);
  if (bind(l, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(l, 8) < 0) die("listen");
  SHOW("accept before any client", accept(l, NULL, NULL));
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  a = loopback(port_of(l));
  SHOW("connect", connect(c, (struct sockaddr *)&a, sizeof a));
  /* Whether the handshake is over by now depends on timing: either answer is right. */
  int again = connect(c, (struct sockaddr *)&a, sizeof a);
  printf("connect again: %s\n", again == 0 || errno == EALREADY ? "connected or EALREADY" : strerror(errno));
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
  epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
  ev.events = EPOLLOUT;
  ev.data.fd = c;
  epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
  static char out[TOTAL], in[65536];
  for (int i = 0; i < TOTAL; i++) out[i] = (char)(i * 7 + i / 251);
  long sent = 0, received = 0, echoedBack = 0;
  unsigned sum = 0, want = 0;
  for (int i = 0; i < TOTAL; i++) want = want * 31 + (unsigned char)out[i];
  int s = -1, connected = 0, clientEof = 0, serverEof = 0;
  while (!clientEof) {
    struct epoll_event evs[4];
    int n = epoll_wait(ep, evs, 4, 5000);
    if (n <= 0) die("epoll_wait timed out");
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == l) {
        struct sockaddr_in peer;
        socklen_t pl = sizeof peer;
        s = accept4(l, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK);
        if (s < 0) die("accept4");
        printf("accepted: peer port matches %d, len %d\n", ntohs(peer.sin_port) == port_of(c), (int)pl);
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = s;
        epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
      } else if (fd == c) {
        if (!connected && (evs[i].events & EPOLLOUT)) {
          connected = 1;
          printf("connected: SO_ERROR %d\n", intopt(c, SOL_SOCKET, SO_ERROR));
          struct sockaddr_in p;
          socklen_t pl = sizeof p;
          getpeername(c, (struct sockaddr *)&p, &pl);
          printf("peer %s:%d is the listener %d\n", inet_ntoa(p.sin_addr), ntohs(p.sin_port) == port_of(l), ntohs(p.sin_port) == port_of(l));
        }
        if ((evs[i].events & EPOLLOUT) && sent < TOTAL) {
          while (sent < TOTAL) {
            ssize_t w = send(c, out + sent, TOTAL - sent, 0);
            if (w < 0 && errno == EAGAIN) break;
            if (w < 0) die("send");
            sent += w;
          }
          if (sent == TOTAL) {
            shutdown(c, SHUT_WR);
            ev.events = EPOLLIN;
            ev.data.fd = c;
            epoll_ctl(ep, EPOLL_CTL_MOD, c, &ev);
          }
        }
        if (evs[i].events & EPOLLIN) {
          ssize_t k = read(c, in, sizeof in);
          if (k == 0) clientEof = 1;
          else if (k > 0) echoedBack += k;
        }
      } else if (fd == s) {
        for (;;) {
          ssize_t k = recv(s, in, sizeof in, 0);
          if (k < 0 && errno == EAGAIN) break;
          if (k < 0) die("recv");
          if (k == 0) {
            serverEof = 1;
            printf("server: EOF after %ld bytes, checksum ok %d\n", received, sum == want);
            char msg[32];
            int m = snprintf(msg, sizeof msg, "got %ld", received);
            send(s, msg, m, 0);
            epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
            close(s);
            break;
          }
          for (ssize_t j = 0; j < k; j++) sum = sum * 31 + (unsigned char)in[j];
          received += k;
        }
      }
    }
  }
  printf("client: echo %ld bytes then EOF, server saw EOF %d\n", echoedBack, serverEof);
  close(c);
  close(l);
  close(ep);
}

static void peek_and_fionread(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = loopback(0);
  bind(l, (struct sockaddr *)&a, sizeof a);
  listen(l, 1);
  a = loopback(port_of(l));
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  int s = accept(l, NULL, NULL);
  send(s, "hello world", 11, 0);
  char buf[32] = {0};
  ssize_t n = recv(c, buf, 5, MSG_PEEK | MSG_WAITALL);
  int avail = 0;
  ioctl(c, FIONREAD, &avail);
  printf("peek %zd '%.5s', FIONREAD %d\n", n, buf, avail);
  n = recv(c, buf, sizeof buf, MSG_WAITALL | MSG_DONTWAIT);
  printf("read %zd '%.*s'\n", n, (int)n, buf);
  SHOW("empty MSG_DONTWAIT", recv(c, buf, sizeof buf, MSG_DONTWAIT));
  close(s);
  SHOW("blocking recv after peer close", recv(c, buf, sizeof buf, 0));
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.fd = c};
  int ep = epoll_create1(0);
  epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
  epoll_wait(ep, &ev, 1, 0);
  printf("events: in %d out %d rdhup %d hup %d\n", !!(ev.events & EPOLLIN), !!(ev.events & EPOLLOUT), !!(ev.events & EPOLLRDHUP), !!(ev.events & EPOLLHUP));
  shutdown(c, SHUT_WR);
  epoll_wait(ep, &ev, 1, 0);
  printf("after SHUT_WR: hup %d\n", !!(ev.events & EPOLLHUP));
  close(ep);
  close(c);
  close(l);
}

static void udp(void) {
  int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in addr = loopback(0);
  bind(b, (struct sockaddr *)&addr, sizeof addr);
  addr = loopback(port_of(b));
  SHOW("udp recv empty", recv(b, NULL, 0, 0));
  sendto(a, "datagram one", 12, 0, (struct sockaddr *)&addr, sizeof addr);
  sendto(a, "two", 3, 0, (struct sockaddr *)&addr, sizeof addr);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = b};
  int ep = epoll_create1(0);
  epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev);
  printf("udp epoll %d\n", epoll_wait(ep, &ev, 1, 5000));
  int avail = 0;
  ioctl(b, FIONREAD, &avail);
  char buf[64];
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  ssize_t n = recvfrom(b, buf, 4, MSG_TRUNC, (struct sockaddr *)&from, &fl);
  printf("FIONREAD %d, truncated recv %zd '%.4s' from the sender %d\n", avail, n, buf, ntohs(from.sin_port) == port_of(a));
  n = recv(b, buf, sizeof buf, 0);
  printf("second %zd '%.*s'\n", n, (int)n, buf);
  struct sockaddr_in bad = loopback(0);
  SHOW("sendto port 0", sendto(a, "x", 1, 0, (struct sockaddr *)&bad, sizeof bad));
  connect(a, (struct sockaddr *)&addr, sizeof addr);
  send(a, "connected", 9, 0);
  epoll_wait(ep, &ev, 1, 5000);
  n = recv(b, buf, sizeof buf, 0);
  printf("after connect %zd '%.*s'\n", n, (int)n, buf);
  close(b);
  send(a, "to nobody", 9, 0);
  usleep(100000);
  SHOW("recv after sending to a closed port", recv(a, buf, sizeof buf, MSG_DONTWAIT));
  SHOW("then", recv(a, buf, sizeof buf, MSG_DONTWAIT));
  close(a);
  close(ep);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  options();
  refused();
  stream();
  peek_and_fionread();
  udp();
  return 0;
}
