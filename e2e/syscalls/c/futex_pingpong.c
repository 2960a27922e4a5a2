/* Two threads hand a token back and forth through futex wait/wake. */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Atomic int turn;
enum { ROUNDS = 2000 };

static void wait_for(int want) {
  int cur;
  while ((cur = atomic_load(&turn)) != want) syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, cur, NULL, NULL, 0);
}

static void pass_to(int who) {
  atomic_store(&turn, who);
  syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *pong(void *arg) {
  for (int i = 0; i < ROUNDS; i++) {
    wait_for(1);
    pass_to(0);
  }
  return arg;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, pong, NULL);
  for (int i = 0; i < ROUNDS; i++) {
    pass_to(1);
    wait_for(0);
  }
  pthread_join(t, NULL);
  printf("%d round trips\n", ROUNDS);
  return 0;
}
