/*
 * sigpending: RLIMIT_SIGPENDING as uid 54321 (a uid no host process runs
 * as, so a native run counts only its own signals) with a limit of 5:
 * sigqueue to oneself until EAGAIN, kill(2) past the limit (no error, the
 * signal stays pending once), draining with sigtimedwait, and a child's
 * queued signals given back when it is killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fill(pid_t pid, int sig) {
  int n = 0;
  union sigval v = {0};
  while (n < 100 && sigqueue(pid, sig, v) == 0) v.sival_int = ++n;
  printf("queued %d, then %s\n", n, n < 100 && errno == EAGAIN ? "EAGAIN" : strerror(errno));
  return n;
}

static int drain(const sigset_t *set) {
  struct timespec zero = {0, 0};
  siginfo_t si;
  int n = 0;
  while (sigtimedwait(set, &si, &zero) > 0) {
    printf("  got %s value %d\n", si.si_code == SI_QUEUE ? "SI_QUEUE" : si.si_code == SI_USER ? "SI_USER" : "other", si.si_value.sival_int);
    n++;
  }
  return n;
}

int main(void) {
  struct rlimit l = {5, 5};
  if (setrlimit(RLIMIT_SIGPENDING, &l) != 0 || setresuid(54321, 54321, 54321) != 0) return 2;
  int sig = SIGRTMIN + 1;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_BLOCK, &set, NULL);
  fill(getpid(), sig);
  printf("kill past the limit: %d\n", kill(getpid(), sig));
  printf("drained %d\n", drain(&set));
  printf("drained again %d\n", drain(&set));
  /* A child that queues to itself up to the limit and waits: its charges go when it dies. */
  int p[2];
  if (pipe(p) != 0) return 2;
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    fill(getpid(), sig);
    fflush(stdout);
    write(p[1], "x", 1);
    pause();
    _exit(0);
  }
  char b;
  read(p[0], &b, 1);
  printf("while the child holds them: %d\n", sigqueue(getpid(), sig, (union sigval){0}) == 0 ? 0 : errno);
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  fill(getpid(), sig);
  printf("drained %d\n", drain(&set));
  return 0;
}
