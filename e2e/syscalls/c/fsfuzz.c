// Random file-system operations inside an empty directory of its own,
// printed so that a sandbox's run can be compared with Linux's line by
// line: opens (create, truncate, append, exclusive, directories), writes
// and reads at random offsets, truncates, renames (plain, NOREPLACE,
// EXCHANGE), hard and symbolic links, unlinks, mkdir/rmdir, chmod, and
// stat, on a handful of names in two directory levels, with a few file
// descriptors kept open across the operations. After every operation its
// result; at the end the tree: each name's type, mode, link count, size and
// content checksum. Usage: fsfuzz DIR SEED STEPS
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "say.h"
#include "rng.h"

static const char *names[] = {"a", "b", "c", "d", "d/a", "d/b", "d/e", "e", "e/a", "d/e/a"};
#define NAMES (sizeof names / sizeof *names)
static int fds[4] = {-1, -1, -1, -1};

static const char *name(void) { return names[rng_next() % NAMES]; }

static const char *res(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static uint32_t checksum(const unsigned char *b, long n) {
  uint32_t h = 2166136261u;
  for (long i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
  return h;
}

static void describe(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    say("%s dir %o nlink %lu\n", path, st.st_mode & 07777, (unsigned long)st.st_nlink);
  } else if (S_ISLNK(st.st_mode)) {
    char t[256];
    long n = readlink(path, t, sizeof t - 1);
    t[n < 0 ? 0 : n] = 0;
    say("%s link -> %s\n", path, t);
  } else {
    unsigned char buf[65536];
    int fd = open(path, O_RDONLY);
    long n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
    if (fd >= 0) close(fd);
    say("%s file %o nlink %lu size %ld sum %08x\n", path, st.st_mode & 07777, (unsigned long)st.st_nlink, (long)st.st_size, n < 0 ? 0 : checksum(buf, n));
  }
}

int main(int argc, char **argv) {
  if (argc < 4 || chdir(argv[1]) != 0) return 2;
  rng_state = strtoull(argv[2], 0, 0);
  int steps = atoi(argv[3]);
  umask(022);
  unsigned char data[4096];
  for (int i = 0; i < steps; i++) {
    int slot = rng_next() % 4;
    long r;
    switch (rng_next() % 14) {
    case 0: {
      static const int extra[] = {0, O_TRUNC, O_APPEND, O_EXCL, O_TRUNC | O_APPEND};
      int flags = O_CREAT | (rng_next() % 2 ? O_RDWR : O_WRONLY) | extra[rng_next() % 5];
      const char *n = name();
      if (fds[slot] >= 0) close(fds[slot]);
      r = fds[slot] = open(n, flags, 0644);
      say("%d open %s %x -> %d: %s\n", i, n, flags, slot, res(r));
      break;
    }
    case 1: {
      const char *n = name();
      if (fds[slot] >= 0) close(fds[slot]);
      r = fds[slot] = open(n, rng_next() % 2 ? O_RDONLY : O_RDONLY | O_DIRECTORY);
      say("%d open ro %s -> %d: %s\n", i, n, slot, res(r));
      break;
    }
    case 2: {
      long off = rng_next() % 10000, len = 1 + rng_next() % 3000;
      for (long k = 0; k < len; k++) data[k] = (unsigned char)rng_next();
      r = rng_next() % 2 ? pwrite(fds[slot], data, len, off) : write(fds[slot], data, len);
      say("%d write %d %ld: %s %ld\n", i, slot, len, res(r), r);
      break;
    }
    case 3: {
      long off = rng_next() % 12000;
      r = pread(fds[slot], data, sizeof data, off);
      say("%d pread %d %ld: %s %ld %08x\n", i, slot, off, res(r), r, r > 0 ? checksum(data, r) : 0);
      break;
    }
    case 4: {
      long len = rng_next() % 12000;
      const char *n = name();
      r = rng_next() % 2 ? ftruncate(fds[slot], len) : truncate(n, len);
      say("%d truncate %d/%s %ld: %s\n", i, slot, n, len, res(r));
      break;
    }
    case 5: {
      static const unsigned flags[] = {0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE};
      const char *from = name(), *to = name();
      unsigned f = flags[rng_next() % 4];
      r = renameat2(AT_FDCWD, from, AT_FDCWD, to, f);
      say("%d rename %s %s %u: %s\n", i, from, to, f, res(r));
      break;
    }
    case 6: {
      const char *from = name(), *to = name();
      r = link(from, to);
      say("%d link %s %s: %s\n", i, from, to, res(r));
      break;
    }
    case 7: {
      const char *n = name();
      r = unlink(n);
      say("%d unlink %s: %s\n", i, n, res(r));
      break;
    }
    case 8: {
      const char *n = name();
      r = rng_next() % 3 ? mkdir(n, 0755) : rmdir(n);
      say("%d mkdir/rmdir %s: %s\n", i, n, res(r));
      break;
    }
    case 9: {
      const char *target = name(), *n = name();
      r = symlink(target, n);
      say("%d symlink %s %s: %s\n", i, target, n, res(r));
      break;
    }
    case 10: {
      const char *n = name();
      mode_t m = rng_next() % 2 ? 0600 : 0755;
      r = chmod(n, m);
      say("%d chmod %s %o: %s\n", i, n, m, res(r));
      break;
    }
    case 11: {
      struct stat st;
      r = fstat(fds[slot], &st);
      say("%d fstat %d: %s %lu %ld\n", i, slot, res(r), r ? 0UL : (unsigned long)st.st_nlink, r || S_ISDIR(st.st_mode) ? 0L : (long)st.st_size);
      break;
    }
    case 12: {
      long off = rng_next() % 5000;
      int whence = rng_next() % 3;
      r = lseek(fds[slot], off, whence);
      say("%d lseek %d %ld %d: %s %ld\n", i, slot, off, whence, res(r), r);
      break;
    }
    default: {
      const char *n = name();
      struct stat st;
      r = stat(n, &st);
      say("%d stat %s: %s %lu\n", i, n, res(r), r ? 0UL : (unsigned long)st.st_nlink);
      break;
    }
    }
  }
  for (size_t i = 0; i < NAMES; i++) describe(names[i]);
  return 0;
}
