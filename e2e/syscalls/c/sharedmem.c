/*
 * MAP_SHARED|MAP_ANONYMOUS memory is shared with forked children (a
 * counter both update under a process-shared spinlock), MAP_PRIVATE is
 * copied, and MADV_DONTNEED keeps shared contents but zeroes private ones.
 */
#include <stdio.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  atomic_int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int *private = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED || private == MAP_FAILED) return 1;
  *private = 7;
  enum { CHILDREN = 3, ROUNDS = 1000 };
  for (int c = 0; c < CHILDREN; c++) {
    pid_t pid = fork();
    if (pid == 0) {
      for (int i = 0; i < ROUNDS; i++) atomic_fetch_add(&shared[0], 1);
      *private = 99;
      shared[1 + c] = 10 * (c + 1);
      _exit(0);
    }
  }
  for (int c = 0; c < CHILDREN; c++) wait(NULL);
  printf("counter %d (want %d)\n", atomic_load(&shared[0]), CHILDREN * ROUNDS);
  printf("children wrote %d %d %d\n", shared[1], shared[2], shared[3]);
  printf("private still %d\n", *private);
  madvise((void *)shared, 4096, MADV_DONTNEED);
  madvise(private, 4096, MADV_DONTNEED);
  printf("after MADV_DONTNEED: shared %d, private %d\n", atomic_load(&shared[0]), *private);
  return 0;
}
