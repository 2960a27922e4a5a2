/*
 * execve from a multithreaded process (Linux's de_thread), compared with
 * native Linux. A child process starts threads that block in read(),
 * nanosleep() and a futex wait, one that keeps running and one that
 * holds a robust process-shared mutex; then a thread (not the main one,
 * the main one, or one after the main one called pthread_exit) execs this
 * program again. The new image must be the only
 * thread, with the old pid (getpid() == gettid()), the same parent, the
 * pending process signal and the exec'ing thread's signal mask and pending
 * thread signal; the parent's wait4 sees exactly one child exit, and the
 * dead threads' robust mutex is EOWNERDEAD.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

static const char *yes(int b) { return b ? "yes" : "no"; }

/* Entries of /proc/self/task; *only is cleared if one is not `pid`. */
static int count_tasks(int *only, long pid) {
  int tasks = 0;
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    tasks++;
    if (only && atol(e->d_name) != pid) *only = 0;
  }
  if (d) closedir(d);
  return tasks;
}

/* The new image: reports what it sees about itself and exits 42. */
static int after_exec(char **argv) {
  long pid = atol(argv[2]), ppid = atol(argv[3]);
  sigset_t pending, mask;
  sigpending(&pending);
  sigprocmask(SIG_SETMASK, NULL, &mask);
  int only_self = 1;
  int tasks = count_tasks(&only_self, pid);
  say("%s: pid kept %s, tid == pid %s, ppid kept %s, tasks %d, only task is pid %s\n", argv[4], yes(getpid() == pid),
      yes(syscall(SYS_gettid) == getpid()), yes(getppid() == ppid), tasks, yes(only_self));
  say("%s: SIGUSR1 (process) pending %s, SIGUSR2 (exec'ing thread) pending %s, SIGUSR1 blocked %s, SIGTERM blocked %s\n",
      argv[4], yes(sigismember(&pending, SIGUSR1)), yes(sigismember(&pending, SIGUSR2)), yes(sigismember(&mask, SIGUSR1)),
      yes(sigismember(&mask, SIGTERM)));
  return 42;
}

static int pipefd[2];
static int futex_word;
static volatile int spin = 1;
static pthread_mutex_t *robust;
static char self_path[256];
static const char *label;

static void *reader(void *arg) {
  (void)arg;
  char c;
  if (read(pipefd[0], &c, 1) >= 0) say("reader woke up\n");
  return NULL;
}

static void *sleeper(void *arg) {
  (void)arg;
  struct timespec ts = {100, 0};
  nanosleep(&ts, NULL);
  say("sleeper woke up\n");
  return NULL;
}

static void *futex_waiter(void *arg) {
  (void)arg;
  syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  say("futex waiter woke up\n");
  return NULL;
}

/* Mostly running app code; the yields let the Sentry's loop (which does not preempt) turn. */
static void *spinner(void *arg) {
  (void)arg;
  while (spin) sched_yield();
  return NULL;
}

static void *locker(void *arg) {
  (void)arg;
  pthread_mutex_lock(robust);
  pause();
  return NULL;
}

/* Only the exec'ing thread blocks SIGTERM: the new image keeps that thread's mask. */
static void do_exec(void) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, NULL);
  char pid[32], ppid[32];
  snprintf(pid, sizeof pid, "%d", getpid());
  snprintf(ppid, sizeof ppid, "%d", getppid());
  syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2);
  /*
   * A failed exec leaves every thread in place. (After pthread_exit of the
   * main thread, Linux still lists it as a zombie in /proc/self/task and
   * the Sentry does not: that count is left out.)
   */
  execl("/nonexistent/exec_threads", "exec_threads", (char *)NULL);
  int err = errno;
  if (strcmp(label, "after main exited") == 0) say("%s: failed exec %s\n", label, strerrorname_np(err));
  else say("%s: failed exec %s, threads left %d\n", label, strerrorname_np(err), count_tasks(NULL, 0));
  execl(self_path, "exec_threads", "after", pid, ppid, label, (char *)NULL);
  say("execl failed: %s\n", strerror(errno));
  _exit(1);
}

static void *execer(void *arg) {
  if (arg != NULL) {
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL); /* the main thread has called pthread_exit by then */
  }
  say("%s: exec'ing thread is not the leader %s\n", label, yes(syscall(SYS_gettid) != getpid()));
  do_exec();
  return NULL;
}

/*
 * In a child: start the threads, then exec from the main thread (mode 1), a
 * new one (0), or a new one after the main thread is gone (2).
 */
static void child(int from_main) {
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigaddset(&usr1, SIGUSR2);
  sigprocmask(SIG_BLOCK, &usr1, NULL); /* inherited by every thread; other threads also get SIGUSR2 blocked */
  pthread_t t;
  void *(*fns[])(void *) = {reader, sleeper, futex_waiter, spinner, locker};
  for (unsigned i = 0; i < sizeof fns / sizeof fns[0]; i++) pthread_create(&t, NULL, fns[i], NULL);
  struct timespec ts = {0, 100 * 1000000L};
  nanosleep(&ts, NULL); /* let them block */
  kill(getpid(), SIGUSR1);
  if (from_main == 1) {
    do_exec();
  } else if (from_main == 2) {
    pthread_create(&t, NULL, execer, &futex_word);
    pthread_exit(NULL);
  } else {
    pthread_create(&t, NULL, execer, NULL);
    for (;;) pause();
  }
}

static void run(int from_main) {
  const char *labels[] = {"from thread", "from main", "after main exited"};
  label = labels[from_main];
  if (pipe(pipefd) != 0) _exit(2);
  pid_t pid = fork();
  if (pid == 0) child(from_main);
  close(pipefd[0]);
  int st;
  pid_t w = waitpid(-1, &st, 0);
  say("%s: wait4 got the child %s, exit %d\n", label, yes(w == pid), WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
  w = waitpid(-1, &st, WNOHANG);
  say("%s: no more children %s\n", label, yes(w == -1 && errno == ECHILD));
  int r = pthread_mutex_lock(robust);
  say("%s: robust mutex %s\n", label, r == EOWNERDEAD ? "EOWNERDEAD" : r == 0 ? "0" : strerror(r));
  if (r == EOWNERDEAD) pthread_mutex_consistent(robust);
  pthread_mutex_unlock(robust);
  close(pipefd[1]);
}

int main(int argc, char **argv) {
  if (argc > 4 && strcmp(argv[1], "after") == 0) return after_exec(argv);
  ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
  if (n < 0) return 3;
  self_path[n] = 0;
  robust = mmap(NULL, sizeof *robust, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(robust, &a);
  run(0);
  run(1);
  run(2);
  return 0;
}
