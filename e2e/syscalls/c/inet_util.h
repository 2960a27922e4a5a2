/*
 * What the AF_INET test programs share: addresses on 127.0.0.1 and the
 * port a socket is bound to (exits with the error if it has none).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  return a;
}

static int port_of(int fd) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  if (getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
    printf("getsockname: %s\n", strerror(errno));
    exit(1);
  }
  return ntohs(a.sin_port);
}
