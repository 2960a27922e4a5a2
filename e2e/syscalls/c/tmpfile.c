/*
 * open(2) with O_TMPFILE, compared with native Linux: the unnamed file
 * (fstat, flags, its /proc/self/fd link with the inode number hidden),
 * giving it a name with linkat through /proc/self/fd or AT_EMPTY_PATH,
 * O_EXCL making it unlinkable, an unlinked ordinary file staying so, the
 * flag errors, and glibc's tmpfile(3).
 *
 * Usage: tmpfile DIR (a directory on a filesystem with O_TMPFILE).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "say.h"

static const char *dir;

static const char *err(long r) { return r >= 0 ? "ok" : strerrorname_np(errno); }

static int must(int r, const char *what) {
  if (r < 0) { say("FAIL %s: %s\n", what, strerrorname_np(errno)); exit(2); }
  return r;
}

static char *at(const char *name) {
  static char bufs[4][600];
  static int next;
  char *b = bufs[next++ % 4];
  snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
  return b;
}

static char *fdpath(int fd) {
  static char b[64];
  snprintf(b, sizeof b, "/proc/self/fd/%d", fd);
  return b;
}

/* The fd's link with DIR shown as DIR and "#<its inode>" as #INO. */
static void link_of(int fd) {
  char link[700] = {0};
  must(readlink(fdpath(fd), link, sizeof link - 1), "readlink");
  struct stat st;
  must(fstat(fd, &st), "fstat");
  char ino[32];
  snprintf(ino, sizeof ino, "#%lu", (unsigned long)st.st_ino);
  const char *rest = strncmp(link, dir, strlen(dir)) == 0 ? link + strlen(dir) : link;
  char *hash = strstr(rest, ino);
  if (hash) say("link DIR%.*s#INO%s\n", (int)(hash - rest), rest, hash + strlen(ino));
  else say("link DIR%s\n", rest);
}

static void describe(int fd) {
  struct stat st;
  must(fstat(fd, &st), "fstat");
  int fl = fcntl(fd, F_GETFL);
  say("mode %o nlink %lu size %ld, F_GETFL has O_TMPFILE %d, access %d\n", st.st_mode, (unsigned long)st.st_nlink, (long)st.st_size,
      (fl & O_TMPFILE) == O_TMPFILE, fl & O_ACCMODE);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  dir = argv[1];
  umask(022);
  int fd = must(open(dir, O_TMPFILE | O_RDWR, 0666), "O_TMPFILE");
  describe(fd);
  link_of(fd);
  must(write(fd, "unnamed", 7), "write");
  must(linkat(AT_FDCWD, fdpath(fd), AT_FDCWD, at("named"), AT_SYMLINK_FOLLOW), "linkat");
  struct stat a, b;
  must(fstat(fd, &a), "fstat");
  must(stat(at("named"), &b), "stat named");
  char buf[16] = {0};
  int named = must(open(at("named"), O_RDONLY), "open named");
  say("linked: same inode %d, nlink %lu, content '%.*s'\n", a.st_ino == b.st_ino, (unsigned long)b.st_nlink, (int)read(named, buf, sizeof buf), buf);
  close(named);
  link_of(fd);
  say("second link: %s\n", err(linkat(AT_FDCWD, fdpath(fd), AT_FDCWD, at("again"), AT_SYMLINK_FOLLOW)));
  say("AT_EMPTY_PATH link: %s\n", err(linkat(fd, "", AT_FDCWD, at("empty"), AT_EMPTY_PATH)));
  must(fstat(fd, &a), "fstat");
  say("nlink now %lu\n", (unsigned long)a.st_nlink);
  close(fd);
  unlink(at("named"));
  unlink(at("again"));
  unlink(at("empty"));

  fd = must(open(dir, O_TMPFILE | O_WRONLY | O_EXCL, 0600), "O_TMPFILE|O_EXCL");
  describe(fd);
  say("O_EXCL: linkat: %s, AT_EMPTY_PATH: %s\n", err(linkat(AT_FDCWD, fdpath(fd), AT_FDCWD, at("x"), AT_SYMLINK_FOLLOW)),
      err(linkat(fd, "", AT_FDCWD, at("x"), AT_EMPTY_PATH)));
  close(fd);

  fd = must(open(at("ordinary"), O_CREAT | O_RDWR, 0600), "create ordinary");
  must(unlink(at("ordinary")), "unlink ordinary");
  say("unlinked ordinary file: linkat: %s\n", err(linkat(AT_FDCWD, fdpath(fd), AT_FDCWD, at("y"), AT_SYMLINK_FOLLOW)));
  close(fd);

  say("O_TMPFILE|O_RDONLY: %s\n", err(open(dir, O_TMPFILE | O_RDONLY, 0600)));
  say("O_TMPFILE|O_CREAT: %s\n", err(open(dir, O_TMPFILE | O_CREAT | O_RDWR, 0600)));
  say("__O_TMPFILE without O_DIRECTORY: %s\n", err(open(dir, (O_TMPFILE & ~O_DIRECTORY) | O_RDWR, 0600)));
  must(close(must(open(at("file"), O_CREAT | O_WRONLY, 0600), "create file")), "close file");
  say("O_TMPFILE on a file: %s\n", err(open(at("file"), O_TMPFILE | O_RDWR, 0600)));
  say("O_TMPFILE on a missing directory: %s\n", err(open(at("missing"), O_TMPFILE | O_RDWR, 0600)));
  unlink(at("file"));

  FILE *f = tmpfile();
  if (!f) { say("tmpfile: %s\n", strerrorname_np(errno)); return 1; }
  fputs("via stdio", f);
  rewind(f);
  char line[32] = {0};
  say("tmpfile(3): '%s'\n", fgets(line, sizeof line, f));
  fclose(f);
  return 0;
}
