/* Calls a syscall the Sentry does not implement and prints what came back. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  long r = syscall(SYS_io_uring_setup, 8, NULL);
  printf("io_uring_setup: %ld %s\n", r, r < 0 ? strerror(errno) : "ok");
  return 0;
}
