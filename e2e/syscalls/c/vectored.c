/*
 * readv/writev take the iovec array as one transfer, as Linux: a pipe or
 * socket readv returns what is queued without waiting to fill a later
 * iovec; a small writev to a pipe goes in whole or not at all; on regular
 * files the bytes land in order across iovecs and chunk boundaries.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static void show(const char *what, long r) {
  printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static unsigned sum(const unsigned char *p, size_t n) {
  unsigned h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  char a[5], b[5];
  struct iovec two[2] = {{a, 5}, {b, 5}};

  int p[2];
  if (pipe2(p, O_NONBLOCK) != 0) return 1;
  if (write(p[1], "hello", 5) != 5) return 1;
  show("nonblocking pipe, readv [5,5] with 5 queued", readv(p[0], two, 2));
  show("then, nothing queued", readv(p[0], two, 2));

  int q[2];
  if (pipe(q) != 0 || write(q[1], "world", 5) != 5) return 1;
  show("blocking pipe, readv [5,5] with 5 queued", readv(q[0], two, 2));

  int s[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0 || write(s[1], "12345", 5) != 5) return 1;
  show("socket, readv [5,5] with 5 queued", readv(s[0], two, 2));

  static char fill[65536];
  long filled = write(p[1], fill, sizeof fill - 6);
  struct iovec small[2] = {{"abcde", 5}, {"fghij", 5}};
  show("pipe with 6 bytes free, writev [5,5]", writev(p[1], small, 2));
  long drained = read(p[0], fill, sizeof fill);
  printf("pipe held %ld, then %ld\n", filled, drained);

  /* A 3 MiB file written and read back through 7 uneven iovecs (more than one 1 MiB chunk). */
  size_t lens[7] = {1, 4095, 1 << 20, 3, (1 << 20) + 7, 0, (1 << 20) - 4106};
  size_t total = 0;
  for (int i = 0; i < 7; i++) total += lens[i];
  unsigned char *src = malloc(total), *dst = malloc(total);
  for (size_t i = 0; i < total; i++) src[i] = (unsigned char)(i * 7 + i / 4099);
  struct iovec in[7], out[7];
  size_t at = 0;
  for (int i = 0; i < 7; i++) {
    out[i] = (struct iovec){src + at, lens[i]};
    in[i] = (struct iovec){dst + at, lens[i]};
    at += lens[i];
  }
  char path[] = "/tmp/vectored-XXXXXX";
  int fd = mkstemp(path);
  unlink(path);
  show("writev of 3 MiB in 7 iovecs", writev(fd, out, 7));
  show("preadv of it at 0", preadv(fd, in, 7, 0));
  printf("same bytes: %s (%08x)\n", memcmp(src, dst, total) == 0 ? "yes" : "no", sum(dst, total));
  memset(dst, 0, total);
  lseek(fd, 4096, SEEK_SET);
  show("readv from offset 4096 (short at end of file)", readv(fd, in, 7));
  printf("same bytes: %s\n", memcmp(src + 4096, dst, total - 4096) == 0 ? "yes" : "no");
  return 0;
}
