/*
 * memfd_create(2), compared with native Linux: the file it makes (fstat,
 * its /proc/self/fd link, read/write/mmap shared between processes), its
 * flags and errors, file seals (F_ADD_SEALS/F_GET_SEALS and what each
 * seal forbids), and exec of a memfd through execveat(AT_EMPTY_PATH).
 *
 * Usage: memfd [PROGRAM-TO-COPY-AND-EXEC]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

/* Linux 6.3 (older C libraries lack them). */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

static const char *err(long r) { return r >= 0 ? "ok" : strerrorname_np(errno); }

static int must(int r, const char *what) {
  if (r < 0) { say("FAIL %s: %s\n", what, strerrorname_np(errno)); exit(2); }
  return r;
}

static void describe(int fd) {
  struct stat st;
  must(fstat(fd, &st), "fstat");
  char link[256] = {0};
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  must(readlink(path, link, sizeof link - 1), "readlink");
  int fl = fcntl(fd, F_GETFL);
  say("link %s, mode %o, nlink %lu, size %ld, blocks %ld, access %s, cloexec %d\n", link, st.st_mode, (unsigned long)st.st_nlink,
      (long)st.st_size, (long)st.st_blocks, (fl & O_ACCMODE) == O_RDWR ? "rdwr" : "other", fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

static void basics(void) {
  int fd = must(memfd_create("plain", 0), "memfd_create plain");
  describe(fd);
  must(write(fd, "hello memfd", 11), "write");
  char buf[32] = {0};
  say("pread: %zd '%.*s'\n", pread(fd, buf, sizeof buf, 0), 11, buf);
  must(ftruncate(fd, 8192), "ftruncate");
  describe(fd);
  char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) { say("mmap: %s\n", strerrorname_np(errno)); exit(2); }
  pid_t pid = fork();
  if (pid == 0) {
    memcpy(p + 4096, "from the child", 14);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  say("shared mapping after the child wrote: '%.14s'; pread: ", p + 4096);
  memset(buf, 0, sizeof buf);
  say("%zd '%.14s'\n", pread(fd, buf, 14, 4096), buf);
  munmap(p, 8192);
  say("F_GET_SEALS without MFD_ALLOW_SEALING: %d\n", fcntl(fd, F_GET_SEALS));
  say("F_ADD_SEALS without it: %s\n", err(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
  close(fd);

  fd = must(memfd_create("cloexec", MFD_CLOEXEC), "memfd_create cloexec");
  describe(fd);
  close(fd);
  fd = must(memfd_create("noexec", MFD_NOEXEC_SEAL), "memfd_create noexec");
  describe(fd);
  say("noexec seals: 0x%x\n", fcntl(fd, F_GET_SEALS));
  close(fd);

  char longname[300];
  memset(longname, 'n', sizeof longname - 1);
  longname[249] = 0;
  say("name of 249 bytes: %s\n", err(fd = memfd_create(longname, 0)));
  if (fd >= 0) close(fd);
  longname[249] = 'n';
  longname[250] = 0;
  say("name of 250 bytes: %s\n", err(memfd_create(longname, 0)));
  say("unknown flag 0x100: %s\n", err(memfd_create("x", 0x100)));
  say("MFD_EXEC|MFD_NOEXEC_SEAL: %s\n", err(memfd_create("x", MFD_EXEC | MFD_NOEXEC_SEAL)));
  say("bad name pointer: %s\n", err(syscall(SYS_memfd_create, (char *)8, 0)));
  int plain = must(open("/proc/self/exe", O_RDONLY), "open exe");
  say("F_GET_SEALS on a regular file: %s\n", err(fcntl(plain, F_GET_SEALS)));
  close(plain);
}

static void seals(void) {
  int fd = must(memfd_create("sealed", MFD_ALLOW_SEALING), "memfd_create sealing");
  say("seals at first: 0x%x\n", fcntl(fd, F_GET_SEALS));
  must(write(fd, "0123456789", 10), "write");
  say("add unknown seal 0x40: %s\n", err(fcntl(fd, F_ADD_SEALS, 0x40)));
  must(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), "seal shrink");
  say("shrink: %s, grow by truncate: %s\n", err(ftruncate(fd, 5)), err(ftruncate(fd, 20)));
  must(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), "seal grow");
  say("grow by truncate: %s, same size: %s\n", err(ftruncate(fd, 30)), err(ftruncate(fd, 20)));
  say("write inside: %s, write past the end: %s\n", err(pwrite(fd, "ab", 2, 0)), err(pwrite(fd, "ab", 2, 19)));
  char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  say("writable shared mapping before F_SEAL_WRITE: %s\n", p == MAP_FAILED ? strerrorname_np(errno) : "ok");
  say("F_SEAL_WRITE while it is mapped: %s\n", err(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
  munmap(p, 4096);
  must(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), "seal write");
  say("seals: 0x%x\n", fcntl(fd, F_GET_SEALS));
  say("write: %s\n", err(pwrite(fd, "ab", 2, 0)));
  p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  say("writable shared mapping: %s\n", p == MAP_FAILED ? strerrorname_np(errno) : "ok");
  p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  say("read-only shared mapping: %s", p == MAP_FAILED ? strerrorname_np(errno) : "ok");
  if (p != MAP_FAILED) say(", mprotect to write: %s, reads '%.10s'", err(mprotect(p, 4096, PROT_READ | PROT_WRITE)), p);
  say("\n");
  p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  say("private writable mapping: %s\n", p == MAP_FAILED ? strerrorname_np(errno) : "ok");
  int ro = must(open("/proc/self/fd/3", O_RDONLY), "reopen read-only");
  say("reopened by its link: %s\n", ro >= 0 ? "ok" : "failed");
  say("F_ADD_SEALS on a read-only fd: %s\n", err(fcntl(ro, F_ADD_SEALS, F_SEAL_SEAL)));
  close(ro);
  must(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), "seal seal");
  say("after F_SEAL_SEAL, add F_SEAL_SHRINK again: %s, seals 0x%x\n", err(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)), fcntl(fd, F_GET_SEALS));
  close(fd);

  fd = must(memfd_create("future", MFD_ALLOW_SEALING), "memfd_create future");
  must(ftruncate(fd, 4096), "ftruncate");
  char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  must(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), "seal future write");
  memcpy(w, "old mapping writes", 18);
  char buf[32] = {0};
  say("F_SEAL_FUTURE_WRITE: old mapping still writes: %zd '%.18s', write: %s\n", pread(fd, buf, 18, 0), buf, err(pwrite(fd, "x", 1, 0)));
  close(fd);
}

static void exec_memfd(const char *prog) {
  int src = must(open(prog, O_RDONLY), "open program");
  int fd = must(memfd_create("program", MFD_CLOEXEC), "memfd_create program");
  char buf[65536];
  ssize_t n;
  while ((n = read(src, buf, sizeof buf)) > 0) must(write(fd, buf, n), "copy");
  close(src);
  pid_t pid = fork();
  if (pid == 0) {
    char *argv[] = {"from-memfd", "-c", "echo exec of a memfd: $0", NULL};
    char *envp[] = {NULL};
    syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
    say("execveat: %s\n", strerrorname_np(errno));
    _exit(1);
  }
  int status;
  waitpid(pid, &status, 0);
  say("child exit %d\n", WEXITSTATUS(status));
}

int main(int argc, char **argv) {
  basics();
  seals();
  if (argc > 1) exec_memfd(argv[1]);
  return 0;
}
