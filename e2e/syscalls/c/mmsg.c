/*
 * sendmmsg/recvmmsg on a unix datagram pair and on UDP over 127.0.0.1:
 * the counts and per-message lengths, MSG_WAITFORONE, an empty queue
 * (EAGAIN), and a send that fails on its first message (the error) or
 * later (the count so far).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "inet_util.h"

static void show(const char *label, int r) {
  printf("%-30s %d %s\n", label, r, r < 0 ? strerrorname_np(errno) : "ok");
}

static void exchange(const char *what, int tx, int rx, struct sockaddr_in *to) {
  char *words[] = {"one", "three", "fifteen"};
  struct iovec iov[3];
  struct mmsghdr out[3];
  memset(out, 0, sizeof out);
  for (int i = 0; i < 3; i++) {
    iov[i].iov_base = words[i];
    iov[i].iov_len = strlen(words[i]);
    out[i].msg_hdr.msg_iov = &iov[i];
    out[i].msg_hdr.msg_iovlen = 1;
    out[i].msg_hdr.msg_name = to;
    out[i].msg_hdr.msg_namelen = to ? sizeof *to : 0;
  }
  printf("%s\n", what);
  show("sendmmsg 3", sendmmsg(tx, out, 3, 0));
  for (int i = 0; i < 3; i++) printf("  sent[%d].msg_len %u\n", i, out[i].msg_len);
  char bufs[5][16];
  struct iovec riov[5];
  struct mmsghdr in[5];
  memset(in, 0, sizeof in);
  for (int i = 0; i < 5; i++) {
    riov[i].iov_base = bufs[i];
    riov[i].iov_len = sizeof bufs[i];
    in[i].msg_hdr.msg_iov = &riov[i];
    in[i].msg_hdr.msg_iovlen = 1;
  }
  usleep(100000);
  int n = recvmmsg(rx, in, 5, MSG_WAITFORONE, NULL);
  show("recvmmsg 5 WAITFORONE", n);
  for (int i = 0; i < n; i++) printf("  got[%d] %.*s (%u)\n", i, (int)in[i].msg_len, bufs[i], in[i].msg_len);
  show("recvmmsg empty DONTWAIT", recvmmsg(rx, in, 5, MSG_DONTWAIT, NULL));
  show("recvmmsg vlen 0", recvmmsg(rx, in, 0, MSG_DONTWAIT, NULL));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  exchange("unix datagram pair", sv[0], sv[1], NULL);

  int rx = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = loopback(0);
  bind(rx, (struct sockaddr *)&a, sizeof a);
  a = loopback(port_of(rx));
  int tx = socket(AF_INET, SOCK_DGRAM, 0);
  exchange("udp on 127.0.0.1", tx, rx, &a);

  /* A bad first message is the call's error; a bad second one ends the call after the first. */
  struct mmsghdr bad[2];
  memset(bad, 0, sizeof bad);
  struct iovec iov = {.iov_base = "x", .iov_len = 1};
  struct sockaddr_in nowhere = {.sin_family = AF_INET + 7};
  bad[0].msg_hdr.msg_iov = &iov;
  bad[0].msg_hdr.msg_iovlen = 1;
  bad[0].msg_hdr.msg_name = &nowhere;
  bad[0].msg_hdr.msg_namelen = sizeof nowhere;
  show("sendmmsg bad first", sendmmsg(tx, bad, 2, 0));
  bad[1] = bad[0];
  bad[0].msg_hdr.msg_name = &a;
  bad[0].msg_hdr.msg_namelen = sizeof a;
  show("sendmmsg bad second", sendmmsg(tx, bad, 2, 0));
  return 0;
}
