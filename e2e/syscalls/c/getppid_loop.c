/*
 * getppid_loop N: issues getppid(2) N times through syscall(2) (so no libc
 * caching can hide the trap) and prints "N <n> ns <elapsed>" for the loop
 * alone, excluding process start-up. Used by the syscall-cost benchmark.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
  printf("N %ld ns %lld\n", n, ns);
  return 0;
}
