/*
 * Robust mutexes (the kernel's robust futex list), compared with native
 * Linux: a holder that dies (a thread exiting, a waiter already blocked,
 * a process exiting, killed by SIGKILL, or exec'ing) leaves the mutex
 * with FUTEX_OWNER_DIED, so the next locker gets EOWNERDEAD.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

static const char *name(int r) { return r == 0 ? "0" : strerrorname_np(r); }

static void init_robust(pthread_mutex_t *m, int pshared) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (pshared) pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(m, &a);
  pthread_mutexattr_destroy(&a);
}

/* Locks `m` expecting its owner to have died; makes it consistent and checks it works again. */
static void recover(const char *label, pthread_mutex_t *m) {
  int r = pthread_mutex_lock(m);
  int c = r == EOWNERDEAD ? pthread_mutex_consistent(m) : -1;
  int u = pthread_mutex_unlock(m);
  int again = pthread_mutex_lock(m);
  pthread_mutex_unlock(m);
  say("%s: lock %s, consistent %d, unlock %d, lock again %s\n", label, name(r), c, u, name(again));
}

static pthread_mutex_t m1, m2, m3;
static int ready[2];

static void *lock_and_exit(void *arg) {
  (void)arg;
  pthread_mutex_lock(&m1);
  pthread_mutex_lock(&m2); /* two held locks: the list has two entries */
  return NULL;
}

static void *lock_wait_exit(void *arg) {
  (void)arg;
  pthread_mutex_lock(&m3);
  if (write(ready[1], "r", 1) != 1) _exit(3);
  struct timespec ts = {0, 200 * 1000000L};
  nanosleep(&ts, NULL); /* the main thread blocks in the lock meanwhile */
  return NULL;
}

static void child_dies(const char *label, pthread_mutex_t *m, int how) {
  pid_t pid = fork();
  if (pid == 0) {
    pthread_mutex_lock(m);
    if (how == 0) _exit(0);
    if (how == 1) raise(SIGKILL);
    execl("/bin/true", "true", (char *)NULL);
    _exit(4);
  }
  int st;
  waitpid(pid, &st, 0);
  recover(label, m);
}

int main(void) {
  init_robust(&m1, 0);
  init_robust(&m2, 0);
  init_robust(&m3, 0);
  pthread_t th;
  pthread_create(&th, NULL, lock_and_exit, NULL);
  pthread_join(th, NULL);
  recover("thread exited holding m1", &m1);
  recover("and m2", &m2);

  if (pipe(ready)) return 2;
  pthread_create(&th, NULL, lock_wait_exit, NULL);
  char ch;
  if (read(ready[0], &ch, 1) != 1) return 2;
  int r = pthread_mutex_lock(&m3); /* blocks with FUTEX_WAITERS set until the holder dies */
  say("blocked locker woken by the owner's death: %s\n", name(r));
  if (r == EOWNERDEAD) pthread_mutex_consistent(&m3);
  pthread_mutex_unlock(&m3);
  pthread_join(th, NULL);

  pthread_mutex_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return 2;
  init_robust(shared, 1);
  child_dies("process exited holding it", shared, 0);
  child_dies("process killed holding it", shared, 1);
  child_dies("process exec'd holding it", shared, 2);

  pthread_mutex_t plain;
  pthread_mutex_init(&plain, NULL);
  say("a normal mutex is untouched: trylock %s\n", name(pthread_mutex_trylock(&plain)));
  return 0;
}
