/*
 * Shared futexes across processes, compared with native Linux: in
 * MAP_SHARED anonymous memory a forked child waits and its parent wakes it
 * (the key is the shared page, not the address space); a FUTEX_PRIVATE_FLAG
 * wait is not reached by the other process's wake; a process-shared
 * pthread condition variable and mutex ping-pong between two processes.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

static long futex(int *addr, int op, int val, long timeout_ms) {
  struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  return syscall(SYS_futex, addr, op, val, timeout_ms ? &ts : NULL, NULL, 0);
}

/* The child waits on `word` with `op`; the parent wakes it with a shared FUTEX_WAKE. */
static void wait_in_child(const char *label, int *word, int op) {
  pid_t p = fork();
  if (p == 0) {
    long r = futex(word, op, 0, 1000);
    say("%s: child wait returned %ld\n", label, r);
    _exit(0);
  }
  usleep(200 * 1000);
  long n = futex(word, FUTEX_WAKE, 1, 0);
  int st;
  waitpid(p, &st, 0);
  say("%s: parent woke %ld\n", label, n);
}

struct shared {
  pthread_mutex_t m;
  pthread_cond_t c;
  int turn;
};

int main(void) {
  char *mem = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  /* Not at the start of the mapping: the key is the offset in the shared object. */
  wait_in_child("shared", (int *)(mem + 4096 + 8), FUTEX_WAIT);
  wait_in_child("private wait", (int *)(mem + 4096 + 16), FUTEX_WAIT_PRIVATE);

  struct shared *s = (struct shared *)(mem + 2 * 4096);
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&s->m, &ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  pthread_cond_init(&s->c, &ca);
  const int rounds = 200;
  pid_t p = fork();
  int me = p == 0 ? 1 : 0;
  for (int i = 0; i < rounds; i++) {
    pthread_mutex_lock(&s->m);
    while (s->turn % 2 != me) pthread_cond_wait(&s->c, &s->m);
    s->turn++;
    pthread_cond_broadcast(&s->c);
    pthread_mutex_unlock(&s->m);
  }
  if (p == 0) _exit(0);
  int st;
  waitpid(p, &st, 0);
  say("condvar ping-pong: %d turns\n", s->turn);
  return 0;
}
