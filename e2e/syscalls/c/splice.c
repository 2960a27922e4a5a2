/*
 * splice(2), tee(2) and vmsplice(2), compared with native Linux: file to
 * pipe and back with and without offsets, pipe to pipe, socket to pipe to
 * socket (how Go's io.Copy moves TCP data), tee leaving its input in
 * place, vmsplice both ways, blocking and non-blocking ends, EOF, and the
 * errors (no pipe, offsets on a pipe, one pipe on both sides, flags,
 * O_APPEND, access modes, a pipe without readers and its SIGPIPE).
 *
 * Usage: splice DIR (an empty directory the program may write to).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

static const char *dir;
static volatile sig_atomic_t sigpipes;

static int must(int r, const char *what) {
  if (r < 0) { say("FAIL %s: %s\n", what, strerrorname_np(errno)); exit(2); }
  return r;
}

static void on_sigpipe(int sig) {
  (void)sig;
  sigpipes++;
}

static char *at(const char *name) {
  static char b[600];
  snprintf(b, sizeof b, "%s/%s", dir, name);
  return b;
}

/* Everything left in the read end `fd` (non-blocking), as text. */
static void drain(const char *what, int fd) {
  char buf[256] = {0};
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  fcntl(fd, F_SETFL, fl);
  say("%s: '%s'\n", what, n > 0 ? buf : "");
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  dir = argv[1];
  signal(SIGPIPE, on_sigpipe);

  int file = must(open(at("src"), O_CREAT | O_RDWR | O_TRUNC, 0600), "create src");
  must(write(file, "0123456789abcdefghij", 20), "write src");
  int p[2], q[2];
  must(pipe(p), "pipe");
  must(pipe(q), "pipe");

  lseek(file, 2, SEEK_SET);
  say("file to pipe, at the position: %s", result(splice(file, NULL, p[1], NULL, 5, 0)));
  say(", position now %ld\n", (long)lseek(file, 0, SEEK_CUR));
  drain("pipe holds", p[0]);
  loff_t off = 10;
  say("file to pipe at offset 10: %s", result(splice(file, &off, p[1], NULL, 100, 0)));
  say(", offset now %lld, position %ld\n", (long long)off, (long)lseek(file, 0, SEEK_CUR));
  say("pipe to pipe 4: %s\n", result(splice(p[0], NULL, q[1], NULL, 4, 0)));
  drain("first pipe keeps", p[0]);
  drain("second pipe got", q[0]);

  int out = must(open(at("dst"), O_CREAT | O_RDWR | O_TRUNC, 0600), "create dst");
  must(write(p[1], "spliced out", 11), "write pipe");
  off = 3;
  say("pipe to file at offset 3: %s", result(splice(p[0], NULL, out, &off, 6, 0)));
  say(", offset now %lld\n", (long long)off);
  say("pipe to file at the position: %s\n", result(splice(p[0], NULL, out, NULL, 64, 0)));
  char buf[64] = {0};
  say("file now: %s bytes '", result(pread(out, buf, sizeof buf, 0)));
  for (int i = 0; i < 20; i++) say("%c", buf[i] ? buf[i] : '.');
  say("'\n");

  must(write(p[1], "tee me", 6), "write pipe");
  say("tee 3: %s\n", result(tee(p[0], q[1], 3, 0)));
  drain("tee output", q[0]);
  drain("tee input untouched", p[0]);

  char a[] = "vm", b2[] = "splice";
  struct iovec iov[2] = {{a, 2}, {b2, 6}};
  say("vmsplice into the write end: %s\n", result(vmsplice(p[1], iov, 2, 0)));
  char r1[3] = {0}, r2[6] = {0};
  struct iovec riov[2] = {{r1, 2}, {r2, 5}};
  say("vmsplice from the read end: %s", result(vmsplice(p[0], riov, 2, 0)));
  say(" '%s' '%s'\n", r1, r2);
  drain("left", p[0]);

  int s[2], d[2];
  must(socketpair(AF_UNIX, SOCK_STREAM, 0, s), "socketpair");
  must(socketpair(AF_UNIX, SOCK_STREAM, 0, d), "socketpair");
  must(write(s[0], "through a socket", 16), "write socket");
  say("socket to pipe: %s", result(splice(s[1], NULL, p[1], NULL, 65536, SPLICE_F_MOVE | SPLICE_F_MORE)));
  say(", pipe to socket: %s", result(splice(p[0], NULL, d[0], NULL, 65536, SPLICE_F_MOVE)));
  memset(buf, 0, sizeof buf);
  say(", read '%s'\n", read(d[1], buf, sizeof buf) > 0 ? buf : "");
  say("empty socket, SPLICE_F_NONBLOCK on the pipe only: ");
  fcntl(s[1], F_SETFL, O_NONBLOCK);
  say("%s\n", result(splice(s[1], NULL, p[1], NULL, 10, SPLICE_F_NONBLOCK)));
  fcntl(s[1], F_SETFL, 0);

  say("empty pipe, SPLICE_F_NONBLOCK: %s\n", result(splice(p[0], NULL, out, NULL, 10, SPLICE_F_NONBLOCK)));
  int e[2];
  must(pipe(e), "pipe");
  close(e[1]);
  say("pipe without writers: %s, tee: %s\n", result(splice(e[0], NULL, out, NULL, 10, 0)), result(tee(e[0], q[1], 10, 0)));
  close(e[0]);
  pid_t pid = fork();
  if (pid == 0) {
    usleep(200000);
    if (write(p[1], "late", 4) != 4) _exit(1);
    _exit(0);
  }
  say("blocking splice waits for the writer: %s\n", result(splice(p[0], NULL, q[1], NULL, 10, 0)));
  waitpid(pid, NULL, 0);
  drain("it moved", q[0]);

  say("len 0: %s, no pipe: %s, unknown flag: %s\n", result(splice(file, NULL, out, NULL, 0, 0)), result(splice(file, NULL, out, NULL, 10, 0)),
      result(splice(p[0], NULL, q[1], NULL, 10, 0x100)));
  off = 0;
  say("offset on the pipe in: %s, out: %s, same pipe: %s, both offsets on pipes: %s\n", result(splice(p[0], &off, out, NULL, 10, 0)),
      result(splice(file, NULL, p[1], &off, 10, 0)), result(splice(p[0], NULL, p[1], NULL, 10, 0)), result(splice(p[0], &off, q[1], &off, 10, 0)));
  off = -1;
  say("negative offset: %s\n", result(splice(file, &off, p[1], NULL, 10, 0)));
  int dirfd = must(open(dir, O_RDONLY | O_DIRECTORY), "open dir");
  say("a directory as input: %s\n", result(splice(dirfd, NULL, p[1], NULL, 10, 0)));
  close(dirfd);
  int app = must(open(at("dst"), O_WRONLY | O_APPEND), "open append");
  must(write(p[1], "x", 1), "write pipe");
  say("to O_APPEND: %s, read end as output: %s, write end as input: %s, closed fd: %s\n", result(splice(p[0], NULL, app, NULL, 1, 0)),
      result(splice(file, NULL, p[0], NULL, 1, 0)), result(splice(p[1], NULL, out, NULL, 1, 0)), result(splice(99, NULL, p[1], NULL, 1, 0)));
  say("tee of one pipe: %s, tee with a file: %s, vmsplice on a file: %s\n", result(tee(p[0], p[1], 1, 0)), result(tee(file, q[1], 1, 0)),
      result(vmsplice(file, iov, 1, 0)));
  drain("still there", p[0]);
  close(q[0]);
  must(write(p[1], "y", 1), "write pipe");
  const char *r = result(splice(p[0], NULL, q[1], NULL, 1, 0));
  say("to a pipe without readers: %s, SIGPIPE %d", r, (int)sigpipes);
  r = result(tee(p[0], q[1], 1, 0));
  say(", tee: %s, SIGPIPE %d\n", r, (int)sigpipes);
  return 0;
}
