/* Prints the real and effective uid and gid, and AT_SECURE (a set-id program probe). */
#include <stdio.h>
#include <sys/auxv.h>
#include <unistd.h>

int main(void) {
  printf("ruid=%d euid=%d rgid=%d egid=%d secure=%lu\n", getuid(), geteuid(), getgid(), getegid(), getauxval(AT_SECURE));
  return 0;
}
