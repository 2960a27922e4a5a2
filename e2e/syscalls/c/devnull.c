/*
 * Writes to /dev/null and /dev/zero are taken whole without the buffer
 * being read (Linux's write_null), so a bad pointer is no EFAULT; /dev/full
 * refuses every write without reading it (ENOSPC); regular files still fail. A description not open for the direction
 * is EBADF before any pointer is looked at. Prints each result.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static void show(const char *what, long r) {
  printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

int main(void) {
  /* An address never mapped (the first page); hidden from the compiler's buffer checks. */
  void *volatile bad = (void *)8;
  const char *devs[] = {"/dev/null", "/dev/zero"};
  for (int i = 0; i < 2; i++) {
    int fd = open(devs[i], O_WRONLY);
    printf("%s\n", devs[i]);
    show("write bad pointer", write(fd, bad, 1 << 20));
    show("pwrite bad pointer", pwrite(fd, bad, 100, 5));
    struct iovec v[2] = {{bad, 10}, {(char *)bad + 16, 20}};
    show("writev bad pointers", writev(fd, v, 2));
    show("writev bad iovec array", writev(fd, bad, 2));
    close(fd);
  }
  show("write to O_RDONLY /dev/null", write(open("/dev/null", O_RDONLY), "x", 1));
  int ro = open("/etc/passwd", O_RDONLY), wo = open("/dev/null", O_WRONLY);
  show("write bad pointer to O_RDONLY file", write(ro, bad, 1));
  show("writev bad iovec array to O_RDONLY file", writev(ro, bad, 2));
  show("read bad pointer from O_WRONLY /dev/null", read(wo, bad, 1));
  show("readv bad iovec array from O_WRONLY /dev/null", readv(wo, bad, 2));
  int full = open("/dev/full", O_WRONLY);
  show("write /dev/full", write(full, "x", 1));
  show("write bad pointer to /dev/full", write(full, bad, 1));
  show("write nothing to /dev/full", write(full, "x", 0));
  char path[] = "/tmp/devnull-XXXXXX";
  int fd = mkstemp(path);
  unlink(path);
  show("write bad pointer to a regular file", write(fd, bad, 1));
  return 0;
}
