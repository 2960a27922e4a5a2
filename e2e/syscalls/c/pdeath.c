/*
 * PR_SET_PDEATHSIG, compared with native Linux: the signal follows the
 * *thread* that forked the child (it fires when that thread exits, even
 * though its process lives on), fires when the parent process exits, is
 * per thread, and is 0 after fork. Children report through pipes, one
 * line at a time.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

static int report[2];
static int ready[2];
static volatile pid_t expect_sender;

static void on_death(int sig, siginfo_t *si, void *ctx) {
  (void)ctx;
  char buf[128];
  int n = snprintf(buf, sizeof buf, "child got signal %d, si_code %d, si_pid is the parent: %s\n", sig, si->si_code,
                   si->si_pid == expect_sender ? "yes" : "no");
  if (write(report[1], buf, n) != n) _exit(98);
}

static void handle(int sig) {
  struct sigaction sa = {.sa_sigaction = on_death, .sa_flags = SA_SIGINFO};
  sigaction(sig, &sa, NULL);
}

/* In a new child: asks for `sig` when the parent dies, says it is ready, and waits for it. */
static void await_death(int sig, pid_t parent) {
  expect_sender = parent;
  handle(sig);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &all, NULL);
  prctl(PR_SET_PDEATHSIG, sig);
  if (write(ready[1], "r", 1) != 1) _exit(3);
  sigsuspend(&none);
}

static int get_pdeathsig(void) {
  int sig = -1;
  if (prctl(PR_GET_PDEATHSIG, &sig) != 0) return -2;
  return sig;
}

/* Relays child reports to stdout until every writer is gone. */
static void relay(void) {
  char buf[512];
  ssize_t n;
  close(report[1]);
  while ((n = read(report[0], buf, sizeof buf)) > 0)
    if (write(1, buf, n) != n) _exit(97);
  close(report[0]);
}

/* The child of a thread: asks for SIGUSR1 when its parent dies, then waits for it. */
static void *forker(void *arg) {
  pid_t *out = arg;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    await_death(SIGUSR1, parent);
    char buf[128];
    int n = snprintf(buf, sizeof buf, "child's parent is still the same process: %s\n", getppid() == parent ? "yes" : "no");
    if (write(report[1], buf, n) != n) _exit(3);
    _exit(0);
  }
  char ch;
  if (read(ready[0], &ch, 1) != 1) exit(2);
  *out = pid;
  return NULL; /* the thread exits: the child gets SIGUSR1 */
}

static void thread_parent(void) {
  if (pipe(report) || pipe(ready)) exit(2);
  pid_t mid = fork();
  if (mid == 0) {
    close(report[0]);
    pthread_t th;
    pid_t child;
    pthread_create(&th, NULL, forker, &child);
    pthread_join(th, NULL);
    int st;
    /* Any thread may wait for a child another thread of the process forked. */
    pid_t w = waitpid(child, &st, 0);
    char buf[128];
    int n = snprintf(buf, sizeof buf, "middle process reaped its thread's child: %s, exit %d\n", w == child ? "yes" : "no", WEXITSTATUS(st));
    if (write(report[1], buf, n) != n) _exit(3);
    _exit(0);
  }
  relay();
  int st;
  waitpid(mid, &st, 0);
  say("middle process exit %d\n", WEXITSTATUS(st));
  close(ready[0]);
  close(ready[1]);
}

static void process_parent(void) {
  if (pipe(report) || pipe(ready)) exit(2);
  pid_t mid = fork();
  if (mid == 0) {
    close(report[0]);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
      await_death(SIGUSR2, parent);
      char buf[128];
      int n = snprintf(buf, sizeof buf, "orphan was re-parented: %s\n", getppid() != parent ? "yes" : "no");
      if (write(report[1], buf, n) != n) _exit(3);
      _exit(0);
    }
    /* A second child whose death signal is the default-fatal SIGTERM. */
    pid_t killed = fork();
    if (killed == 0) {
      /* Holds the report pipe open: the relay ends only once SIGTERM has killed it. */
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (write(ready[1], "r", 1) != 1) _exit(3);
      for (;;) pause();
    }
    char ch;
    if (read(ready[0], &ch, 1) != 1 || read(ready[0], &ch, 1) != 1) exit(2);
    _exit(5); /* both children get their signal */
  }
  relay(); /* ends when the orphan, the last writer, is gone */
  int st;
  waitpid(mid, &st, 0);
  say("middle process exit %d\n", WEXITSTATUS(st));
  close(ready[0]);
  close(ready[1]);
}

static void *set_in_thread(void *arg) {
  (void)arg;
  prctl(PR_SET_PDEATHSIG, SIGHUP);
  say("second thread: %d\n", get_pdeathsig());
  return NULL;
}

int main(void) {
  say("initial: %d\n", get_pdeathsig());
  prctl(PR_SET_PDEATHSIG, SIGUSR2);
  say("after set: %d\n", get_pdeathsig());
  say("bad signal: %d\n", prctl(PR_SET_PDEATHSIG, 65));
  pid_t pid = fork();
  if (pid == 0) {
    say("fork child: %d\n", get_pdeathsig());
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  pthread_t th;
  pthread_create(&th, NULL, set_in_thread, NULL);
  pthread_join(th, NULL);
  say("main thread still: %d\n", get_pdeathsig());
  prctl(PR_SET_PDEATHSIG, 0);
  say("-- the forking thread exits\n");
  thread_parent();
  say("-- the parent process exits\n");
  process_parent();
  return 0;
}
