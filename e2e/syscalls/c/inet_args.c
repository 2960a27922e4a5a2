/*
 * The argument checks and error answers of AF_INET socket calls, one line
 * per call: address lengths and families, option levels, names and
 * lengths, calls in the wrong state, a refused connect (blocking and
 * not), SIGPIPE with and without MSG_NOSIGNAL. Everything is on
 * 127.0.0.1 and prints only what is the same on every run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inet_util.h"

#define SHOW(label, expr)                                                   \
  do {                                                                      \
    errno = 0;                                                              \
    long r_ = (long)(expr);                                                 \
    printf("%-34s %ld %s\n", label, r_, r_ < 0 ? strerrorname_np(errno) : "ok"); \
  } while (0)


/* A TCP socket bound to an ephemeral port of 127.0.0.1, listening or not; `at` gets its address. */
static int bound(int backlog, struct sockaddr_in *at) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  *at = loopback(0);
  bind(fd, (struct sockaddr *)at, sizeof *at);
  if (backlog > 0) listen(fd, backlog);
  *at = loopback(port_of(fd));
  return fd;
}

static void addresses(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = loopback(0);
  struct sockaddr_storage big;
  memset(&big, 0, sizeof big);
  memcpy(&big, &a, sizeof a);
  SHOW("bind addrlen 8", bind(s, (struct sockaddr *)&a, 8));
  SHOW("bind addrlen -1", bind(s, (struct sockaddr *)&a, (socklen_t)-1));
  SHOW("bind addrlen 129", bind(s, (struct sockaddr *)&big, 129));
  struct sockaddr_in six = a;
  six.sin_family = AF_INET6;
  SHOW("bind AF_INET6 family", bind(s, (struct sockaddr *)&six, sizeof six));
  SHOW("connect addrlen 0", connect(s, (struct sockaddr *)&a, 0));
  SHOW("connect addrlen 15", connect(s, (struct sockaddr *)&a, 15));
  SHOW("bind addrlen 128", bind(s, (struct sockaddr *)&big, sizeof big));
  SHOW("bind again", bind(s, (struct sockaddr *)&a, sizeof a));
  struct sockaddr_in got;
  socklen_t len = 4;
  SHOW("getsockname len 4", getsockname(s, (struct sockaddr *)&got, &len));
  printf("  full length %d, family %d\n", (int)len, got.sin_family);
  SHOW("getpeername unconnected", getpeername(s, (struct sockaddr *)&got, &len));
  close(s);
}

static void options(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1, v = -1;
  socklen_t len = sizeof v;
  SHOW("setsockopt SOL_SOCKET 99", setsockopt(s, SOL_SOCKET, 99, &one, sizeof one));
  SHOW("setsockopt SOL_TCP 250", setsockopt(s, IPPROTO_TCP, 250, &one, sizeof one));
  SHOW("setsockopt level 250", setsockopt(s, 250, 1, &one, sizeof one));
  SHOW("getsockopt SOL_SOCKET 99", getsockopt(s, SOL_SOCKET, 99, &v, &len));
  SHOW("setsockopt TCP_NODELAY len 2", setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, 2));
  SHOW("setsockopt SO_REUSEADDR len 0", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, 0));
  SHOW("setsockopt SO_LINGER len 4", setsockopt(s, SOL_SOCKET, SO_LINGER, &one, 4));
  len = -1;
  SHOW("getsockopt len -1", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
  unsigned char ttl = 33;
  SHOW("setsockopt IP_TTL len 1", setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, 1));
  len = sizeof v;
  SHOW("getsockopt IP_TTL", getsockopt(s, IPPROTO_IP, IP_TTL, &v, &len));
  printf("  ttl %d\n", v);
  int tos = IPTOS_LOWDELAY;
  SHOW("setsockopt IP_TOS", setsockopt(s, IPPROTO_IP, IP_TOS, &tos, sizeof tos));
  SHOW("getsockopt IP_TOS", getsockopt(s, IPPROTO_IP, IP_TOS, &v, &len));
  printf("  tos %d\n", v);
  SHOW("setsockopt TCP_NODELAY on UDP", setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
  SHOW("setsockopt SO_BROADCAST on UDP", setsockopt(u, SOL_SOCKET, SO_BROADCAST, &one, sizeof one));
  len = sizeof v;
  SHOW("getsockopt SO_BROADCAST", getsockopt(u, SOL_SOCKET, SO_BROADCAST, &v, &len));
  printf("  broadcast %d\n", v);
  int idle = 40000;
  SHOW("setsockopt TCP_KEEPIDLE 40000", setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle));
  struct linger l = {1, 0};
  SHOW("setsockopt SO_LINGER", setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l));
  close(s);
  close(u);
}

static void states(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
  char buf[8];
  SHOW("send on unconnected TCP", send(s, "x", 1, MSG_NOSIGNAL));
  SHOW("recv on unconnected TCP", recv(s, buf, sizeof buf, 0));
  SHOW("shutdown unconnected TCP", shutdown(s, SHUT_RDWR));
  SHOW("shutdown how 7", shutdown(s, 7));
  SHOW("listen on UDP", listen(u, 1));
  SHOW("accept on UDP", accept(u, NULL, NULL));
  SHOW("accept on unlistened TCP", accept(s, NULL, NULL));
  SHOW("send on unconnected UDP", send(u, "x", 1, 0));
  SHOW("recv MSG_DONTWAIT on UDP", recv(u, buf, sizeof buf, MSG_DONTWAIT));
  SHOW("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){0, 0}));
  SHOW("socket AF_INET SOCK_SEQPACKET", socket(AF_INET, SOCK_SEQPACKET, 0));
  SHOW("socket AF_INET stream UDP", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
  close(s);
  close(u);
}

static void refused(void) {
  struct sockaddr_in a;
  int l = bound(0, &a); /* never listening: connects are refused */
  int c = socket(AF_INET, SOCK_STREAM, 0);
  SHOW("blocking connect to a closed port", connect(c, (struct sockaddr *)&a, sizeof a));
  SHOW("connect again", connect(c, (struct sockaddr *)&a, sizeof a));
  int n = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int r = connect(n, (struct sockaddr *)&a, sizeof a);
  /* Loopback may refuse at once or after EINPROGRESS; both end the same way. */
  printf("non-blocking connect: %s\n", r == 0 ? "ok" : errno == EINPROGRESS || errno == ECONNREFUSED ? "refused or in progress" : strerrorname_np(errno));
  if (r < 0 && errno == EINPROGRESS) {
    struct pollfd p = {.fd = n, .events = POLLOUT};
    poll(&p, 1, 5000);
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(n, SOL_SOCKET, SO_ERROR, &err, &len);
    printf("  SO_ERROR %s\n", strerrorname_np(err));
  } else {
    printf("  SO_ERROR ECONNREFUSED\n");
  }
  close(l);
  close(c);
  close(n);
}

/* A write to a connection the peer closed: EPIPE, and SIGPIPE without MSG_NOSIGNAL. */
static void sigpipe(void) {
  struct sockaddr_in a;
  int l = bound(1, &a);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, (struct sockaddr *)&a, sizeof a);
  int s = accept(l, NULL, NULL);
  close(s);
  usleep(100000);
  /* The first write gets the RST, the next one EPIPE. */
  send(c, "x", 1, MSG_NOSIGNAL);
  usleep(100000);
  SHOW("send to a reset peer, MSG_NOSIGNAL", send(c, "x", 1, MSG_NOSIGNAL));
  pid_t pid = fork();
  if (pid == 0) {
    send(c, "x", 1, 0);
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  printf("child without MSG_NOSIGNAL: %s %d\n", WIFSIGNALED(status) ? "killed by" : "exited", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
  int avail = -1;
  SHOW("FIONREAD on a listener", ioctl(l, FIONREAD, &avail));
  close(l);
  close(c);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  addresses();
  options();
  states();
  refused();
  sigpipe();
  return 0;
}
