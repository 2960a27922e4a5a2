/*
 * inotify(7), compared with native Linux: the events each file operation
 * queues (for a watched directory and for watched files in it), their
 * order, names, cookies and flags; watch descriptors; the errors of the
 * three syscalls and of read; coalescing, IN_ONESHOT, IN_MASK_ADD,
 * IN_EXCL_UNLINK, deletion of open files, poll, FIONREAD, a blocking read
 * woken by another process, and queue overflow.
 *
 * Usage: inotify DIR (an empty directory the program may fill).
 * Cookies are printed as c1, c2... in order of appearance, so runs compare.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

static char base[512];
static int ino;
static const char *labels[64];
static unsigned cookies[64];
static int ncookies;

static const char *err(int r) { return r >= 0 ? "ok" : strerrorname_np(errno); }

static char *at(const char *name) {
  static char bufs[4][600];
  static int next;
  char *b = bufs[next++ % 4];
  snprintf(b, sizeof bufs[0], "%s/%s", base, name);
  return b;
}

static int must(int r, const char *what) {
  if (r < 0) { say("FAIL %s: %s\n", what, strerrorname_np(errno)); exit(2); }
  return r;
}

static int watch(const char *label, const char *path, unsigned mask) {
  int wd = must(inotify_add_watch(ino, path, mask), label);
  if (wd < 64) labels[wd] = label;
  return wd;
}

static const char *cookie(unsigned c) {
  static char b[16];
  if (c == 0) return "";
  int i;
  for (i = 0; i < ncookies && cookies[i] != c; i++) {}
  if (i == ncookies && ncookies < 64) cookies[ncookies++] = c;
  snprintf(b, sizeof b, " c%d", i + 1);
  return b;
}

static void masks(unsigned m, char *out) {
  static const struct { unsigned bit; const char *name; } names[] = {
    {IN_ACCESS, "ACCESS"}, {IN_MODIFY, "MODIFY"}, {IN_ATTRIB, "ATTRIB"}, {IN_CLOSE_WRITE, "CLOSE_WRITE"},
    {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"}, {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},
    {IN_CREATE, "CREATE"}, {IN_DELETE, "DELETE"}, {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
    {IN_UNMOUNT, "UNMOUNT"}, {IN_Q_OVERFLOW, "Q_OVERFLOW"}, {IN_IGNORED, "IGNORED"}, {IN_ISDIR, "ISDIR"},
  };
  out[0] = 0;
  for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (!(m & names[i].bit)) continue;
    if (out[0]) strcat(out, "|");
    strcat(out, names[i].name);
    m &= ~names[i].bit;
  }
  if (m) sprintf(out + strlen(out), "|0x%x", m);
}

/* Prints and consumes every queued event, one line each. */
static void drain(const char *step) {
  char buf[65536] __attribute__((aligned(8)));
  say("%s:\n", step);
  for (;;) {
    ssize_t n = read(ino, buf, sizeof buf);
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) { say("  read: %s\n", err(n)); return; }
    for (char *p = buf; p < buf + n;) {
      struct inotify_event *e = (struct inotify_event *)p;
      char m[256];
      masks(e->mask, m);
      const char *who = e->wd > 0 && e->wd < 64 && labels[e->wd] ? labels[e->wd] : "?";
      say("  %s %s%s%s%s len%%16=%u\n", e->wd == -1 ? "-1" : who, m, cookie(e->cookie), e->len ? " " : "", e->len ? e->name : "", e->len % 16);
      p += sizeof *e + e->len;
    }
  }
}

static void touch(const char *name) { close(must(open(at(name), O_CREAT | O_WRONLY, 0644), name)); }

static void errors(void) {
  say("inotify_init1(IN_CLOEXEC|0x1): %s\n", err(inotify_init1(IN_CLOEXEC | 1)));
  int notino = must(open(base, O_RDONLY | O_DIRECTORY), "open base");
  say("add_watch on a directory fd: %s\n", err(inotify_add_watch(notino, base, IN_ALL_EVENTS)));
  close(notino);
  say("add_watch on a closed fd: %s\n", err(inotify_add_watch(notino, base, IN_ALL_EVENTS)));
  say("add_watch mask 0: %s\n", err(inotify_add_watch(ino, base, 0)));
  say("add_watch IN_ONLYDIR alone: %s\n", err(inotify_add_watch(ino, base, IN_ONLYDIR)));
  say("add_watch MASK_ADD|MASK_CREATE: %s\n", err(inotify_add_watch(ino, base, IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE)));
  say("add_watch missing path: %s\n", err(inotify_add_watch(ino, at("missing"), IN_MODIFY)));
  touch("plain");
  say("add_watch IN_ONLYDIR on a file: %s\n", err(inotify_add_watch(ino, at("plain"), IN_MODIFY | IN_ONLYDIR)));
  say("add_watch through a file: %s\n", err(inotify_add_watch(ino, at("plain/x"), IN_MODIFY)));
  say("rm_watch of wd 999: %s\n", err(inotify_rm_watch(ino, 999)));
  say("rm_watch on a closed fd: %s\n", err(inotify_rm_watch(999, 1)));
  unlink(at("plain"));
}

static void basics(void) {
  int d = watch("D", base, IN_ALL_EVENTS);
  touch("f");
  int f = watch("F", at("f"), IN_ALL_EVENTS);
  say("wds: D=%d F=%d, D again=%d\n", d, f, inotify_add_watch(ino, base, IN_ALL_EVENTS));
  say("MASK_CREATE on D: %s\n", err(inotify_add_watch(ino, base, IN_ALL_EVENTS | IN_MASK_CREATE)));
  drain("touch f, then watched");

  int fd = must(open(at("g"), O_CREAT | O_WRONLY | O_EXCL, 0600), "create g");
  must(write(fd, "hello", 5), "write g");
  must(write(fd, "hello", 5), "write g");
  must(write(fd, "", 0), "write g 0");
  close(fd);
  drain("create g, write twice and 0 bytes, close");

  char buf[16];
  fd = must(open(at("f"), O_RDWR), "open f");
  say("read of empty f: %zd\n", read(fd, buf, sizeof buf));
  must(write(fd, "abc", 3), "write f");
  must(pread(fd, buf, 2, 0), "pread f");
  close(fd);
  drain("open f rdwr, read 0 bytes, write, pread, close");

  fd = must(open(at("f"), O_RDONLY | O_TRUNC), "open f trunc");
  close(fd);
  fd = must(open(at("f"), O_PATH), "open f O_PATH");
  close(fd);
  drain("open f O_RDONLY|O_TRUNC, then O_PATH");

  must(chmod(at("f"), 0640), "chmod");
  must(truncate(at("f"), 10), "truncate");
  struct timespec ts[2] = {{1, 0}, {2, 0}};
  must(utimensat(AT_FDCWD, at("f"), ts, 0), "utimes");
  struct timespec onlya[2] = {{3, 0}, {0, UTIME_OMIT}};
  must(utimensat(AT_FDCWD, at("f"), onlya, 0), "atime");
  struct timespec onlym[2] = {{0, UTIME_OMIT}, {4, 0}};
  must(utimensat(AT_FDCWD, at("f"), onlym, 0), "mtime");
  must(chown(at("f"), getuid(), getgid()), "chown");
  drain("chmod, truncate, utimes both, atime only, mtime only, chown");

  must(link(at("f"), at("f2")), "link");
  drain("link f f2");
  must(rename(at("f2"), at("f3")), "rename");
  drain("rename f2 f3");
  must(unlink(at("f3")), "unlink f3");
  drain("unlink f3 (f keeps a link)");
  must(mkdir(at("sub"), 0755), "mkdir");
  must(symlink("f", at("ln")), "symlink");
  must(mknod(at("fifo"), S_IFIFO | 0600, 0), "mkfifo");
  drain("mkdir sub, symlink ln, mkfifo fifo");
  must(rename(at("sub"), at("sub2")), "rename dir");
  must(rmdir(at("sub2")), "rmdir");
  must(unlink(at("ln")), "unlink ln");
  must(unlink(at("fifo")), "unlink fifo");
  drain("rename sub sub2, rmdir sub2, unlink ln and fifo");

  DIR *dir = opendir(base);
  while (readdir(dir)) {}
  closedir(dir);
  drain("list D");

  fd = must(open(at("f"), O_WRONLY), "open f again");
  must(unlink(at("f")), "unlink open f");
  drain("open f, unlink it");
  must(write(fd, "x", 1), "write unlinked");
  close(fd);
  drain("write the unlinked f, close it");
  say("rm_watch F after its deletion: %s\n", err(inotify_rm_watch(ino, f)));
  unlink(at("g"));
  say("rm_watch D: %s\n", err(inotify_rm_watch(ino, d)));
  drain("unlink g, rm_watch D");
  say("rm_watch D again: %s\n", err(inotify_rm_watch(ino, d)));
}

static void flags(void) {
  touch("o");
  int o = watch("O", at("o"), IN_MODIFY | IN_ONESHOT);
  int fd = must(open(at("o"), O_WRONLY), "open o");
  must(write(fd, "a", 1), "write o");
  must(write(fd, "b", 1), "write o");
  close(fd);
  drain("IN_ONESHOT: two writes");
  int o2 = watch("O", at("o"), IN_MODIFY);
  say("new wd after ONESHOT: %s\n", o2 > o ? "higher" : "not higher");
  watch("O", at("o"), IN_ATTRIB | IN_MASK_ADD);
  must(chmod(at("o"), 0600), "chmod o");
  fd = must(open(at("o"), O_WRONLY), "open o");
  must(write(fd, "c", 1), "write o");
  close(fd);
  watch("O", at("o"), IN_CLOSE);
  must(chmod(at("o"), 0644), "chmod o");
  fd = must(open(at("o"), O_WRONLY), "open o");
  close(fd);
  drain("MASK_ADD ATTRIB to MODIFY: chmod, write; then replace by IN_CLOSE: chmod, open, close");

  int d = watch("X", base, IN_MODIFY | IN_EXCL_UNLINK | IN_DELETE);
  fd = must(open(at("o"), O_WRONLY), "open o");
  must(write(fd, "1", 1), "write o");
  must(unlink(at("o")), "unlink o");
  must(write(fd, "2", 1), "write unlinked o");
  close(fd);
  inotify_rm_watch(ino, d);
  drain("IN_EXCL_UNLINK on D: write, unlink, write, close");

  int sub = must(mkdir(at("victim"), 0755), "mkdir victim");
  (void)sub;
  watch("V", at("victim"), IN_ALL_EVENTS);
  must(rmdir(at("victim")), "rmdir victim");
  drain("rmdir of a watched directory");

  touch("a");
  touch("b");
  watch("A", at("a"), IN_ALL_EVENTS);
  watch("B", at("b"), IN_ALL_EVENTS);
  must(rename(at("a"), at("b")), "rename over");
  drain("rename a over b (both watched)");
  unlink(at("b"));
  drain("unlink b");

  must(mkdir(at("m"), 0755), "mkdir m");
  int dw = watch("D", base, IN_ALL_EVENTS);
  watch("M", at("m"), IN_ALL_EVENTS);
  must(chmod(at("m"), 0700), "chmod m");
  must(rename(at("m"), at("m2")), "rename m");
  must(rmdir(at("m2")), "rmdir m2");
  touch("u");
  watch("U", at("u"), IN_ALL_EVENTS);
  must(unlink(at("u")), "unlink u");
  inotify_rm_watch(ino, dw);
  drain("watched dir m: chmod, rename, rmdir; watched file u (not open) unlinked, D watched");

  must(symlink("nowhere", at("dangling")), "symlink dangling");
  say("add_watch of a dangling link: %s\n", err(inotify_add_watch(ino, at("dangling"), IN_ALL_EVENTS)));
  watch("L", at("dangling"), IN_ALL_EVENTS | IN_DONT_FOLLOW);
  must(lchown(at("dangling"), getuid(), getgid()), "lchown");
  must(unlink(at("dangling")), "unlink dangling");
  drain("IN_DONT_FOLLOW on a dangling link: lchown, unlink");
}

static void exec_true(void) {
  int src = must(open("/bin/true", O_RDONLY), "open /bin/true");
  int dst = must(open(at("true"), O_CREAT | O_WRONLY, 0755), "create true");
  char buf[65536];
  ssize_t n;
  while ((n = read(src, buf, sizeof buf)) > 0) must(write(dst, buf, n), "copy");
  close(src);
  close(dst);
  int d = watch("D", base, IN_ALL_EVENTS);
  pid_t pid = fork();
  if (pid == 0) {
    execl(at("true"), "true", (char *)NULL);
    _exit(127);
  }
  int status;
  waitpid(pid, &status, 0);
  inotify_rm_watch(ino, d);
  unlink(at("true"));
  drain("exec of a file in D");
}

static void reading(void) {
  touch("r");
  int r = watch("R", at("r"), IN_ATTRIB);
  (void)r;
  char tiny[8];
  must(chmod(at("r"), 0600), "chmod r");
  int avail = -1;
  must(ioctl(ino, FIONREAD, &avail), "FIONREAD");
  struct pollfd p = {.fd = ino, .events = POLLIN | POLLOUT};
  int ready = poll(&p, 1, 0);
  say("FIONREAD %d, poll %d revents 0x%x\n", avail, ready, p.revents);
  say("read with 8 bytes: %s\n", err(read(ino, tiny, sizeof tiny)));
  drain("after the short read");
  must(ioctl(ino, FIONREAD, &avail), "FIONREAD");
  p.revents = 0;
  ready = poll(&p, 1, 0);
  say("empty: FIONREAD %d, poll %d, read %s\n", avail, ready, err(read(ino, tiny, sizeof tiny)));

  int blocking = must(inotify_init1(IN_CLOEXEC), "init blocking");
  must(inotify_add_watch(blocking, at("r"), IN_MODIFY), "watch r");
  pid_t pid = fork();
  if (pid == 0) {
    usleep(200000);
    int fd = open(at("r"), O_WRONLY);
    if (write(fd, "z", 1) != 1) _exit(1);
    _exit(0);
  }
  struct timeval t0, t1;
  gettimeofday(&t0, NULL);
  char buf[256] __attribute__((aligned(8)));
  ssize_t n = read(blocking, buf, sizeof buf);
  gettimeofday(&t1, NULL);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
  struct inotify_event *e = (struct inotify_event *)buf;
  say("blocking read: %zd bytes after %s, mask 0x%x\n", n, ms >= 150 ? ">=150 ms" : "<150 ms", n > 0 ? e->mask : 0);
  waitpid(pid, NULL, 0);
  close(blocking);
  unlink(at("r"));
  drain("unlink r");
}

static void overflow(void) {
  int q = must(inotify_init1(IN_NONBLOCK), "init q");
  must(mkdir(at("many"), 0755), "mkdir many");
  must(inotify_add_watch(q, at("many"), IN_CREATE), "watch many");
  char name[700];
  for (int i = 0; i < 16390; i++) {
    snprintf(name, sizeof name, "%s/many/%d", base, i);
    must(mknod(name, S_IFREG | 0600, 0), "mknod many");
  }
  int avail = 0;
  must(ioctl(q, FIONREAD, &avail), "FIONREAD q");
  static char buf[1 << 20] __attribute__((aligned(8)));
  int events = 0, overflows = 0, last = 0, lastwd = 0;
  ssize_t n;
  while ((n = read(q, buf, sizeof buf)) > 0) {
    for (char *p = buf; p < buf + n;) {
      struct inotify_event *e = (struct inotify_event *)p;
      events++;
      if (e->mask & IN_Q_OVERFLOW) overflows++;
      last = e->mask;
      lastwd = e->wd;
      p += sizeof *e + e->len;
    }
  }
  say("16390 creates: FIONREAD %d, %d events, %d overflow, last mask 0x%x wd %d\n", avail, events, overflows, last, lastwd);
  close(q);
}

int main(int argc, char **argv) {
  if (argc != 2) { say("usage: inotify DIR\n"); return 2; }
  snprintf(base, sizeof base, "%s", argv[1]);
  ino = must(inotify_init1(IN_NONBLOCK | IN_CLOEXEC), "inotify_init1");
  say("inotify_init: %s\n", err(inotify_init()));
  errors();
  basics();
  flags();
  exec_true();
  reading();
  overflow();
  return 0;
}
