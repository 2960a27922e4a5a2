/*
 * memhog MIB spin|sleep|fork: maps MIB MiB of anonymous memory and touches
 * every page of it without a system call in between; then keeps touching
 * it forever (spin), sleeps (sleep), or forks a child that shares those
 * pages copy-on-write and both sleep (fork). For the memory-limit tests
 * (e2e/cri/oom.test.ts): only page faults, which the sandbox's kernel never
 * sees, show that its memory grows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: memhog MIB spin|sleep|fork\n");
    return 2;
  }
  size_t len = (size_t)atoi(argv[1]) << 20;
  volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  printf("mapped %s MiB\n", argv[1]);
  fflush(stdout);
  int spin = strcmp(argv[2], "spin") == 0;
  do {
    for (size_t i = 0; i < len; i += 4096) p[i]++;
  } while (spin);
  printf("touched\n");
  fflush(stdout);
  if (strcmp(argv[2], "fork") == 0) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) {
      printf("forked\n");
      fflush(stdout);
    }
  }
  for (;;) pause();
}
