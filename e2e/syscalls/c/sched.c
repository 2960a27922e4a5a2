/*
 * Scheduling attributes, compared with native Linux: nice values
 * (getpriority/setpriority for a thread, a process group, a user), policies
 * and priorities (sched_setscheduler, sched_setparam, sched_setattr and
 * their getters, SCHED_RESET_ON_FORK across fork), I/O priorities, the
 * fields of /proc/self/stat, and what an unprivileged user may not do.
 * Run as root; real-time settings last only a few syscalls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

struct attr {
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
  uint32_t util_min, util_max;
};

static const char *err(long r) { return r >= 0 ? "ok" : strerrorname_np(errno); }

/* Fields 18, 19, 40 and 41 of a stat file: priority, nice, rt_priority, policy. */
static void stat_fields(const char *path) {
  char buf[1024];
  FILE *f = fopen(path, "r");
  if (!f || !fgets(buf, sizeof buf, f)) { say("no %s\n", path); exit(2); }
  fclose(f);
  char *p = strrchr(buf, ')') + 2;
  long v[64];
  int n = 0;
  for (char *tok = strtok(p, " "); tok && n < 64; tok = strtok(NULL, " ")) v[n++] = strtol(tok, NULL, 10);
  /* v[0] is field 3. */
  say("stat: priority %ld nice %ld rt_priority %ld policy %ld\n", v[15], v[16], v[37], v[38]);
}

static void show(const char *what) {
  struct sched_param p = {0};
  sched_getparam(0, &p);
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  say("%s: policy 0x%x priority %d nice %d ioprio %ld\n", what, sched_getscheduler(0), p.sched_priority, nice, syscall(SYS_ioprio_get, 1, 0));
}

static int set(int policy, int prio) {
  struct sched_param p = {.sched_priority = prio};
  return sched_setscheduler(0, policy, &p);
}

static void *thread_main(void *arg) {
  int *tid = arg;
  *tid = gettid();
  sleep(2);
  return NULL;
}

int main(void) {
  show("start");
  stat_fields("/proc/self/stat");
  const char *r1 = err(setpriority(PRIO_PROCESS, 0, 5));
  say("setpriority 5: %s, raw getpriority %ld\n", r1, syscall(SYS_getpriority, PRIO_PROCESS, 0));
  say("setpriority -3 (root): %s\n", err(setpriority(PRIO_PROCESS, 0, -3)));
  say("setpriority 40 clamps: %s\n", err(setpriority(PRIO_PROCESS, 0, 40)));
  show("after setpriority");
  say("getpriority which 7: %s, missing pid: %s\n", err(syscall(SYS_getpriority, 7, 0)), err(syscall(SYS_getpriority, PRIO_PROCESS, 999999)));
  setpriority(PRIO_PROCESS, 0, 0);

  r1 = err(set(SCHED_BATCH, 0));
  say("BATCH: %s, IDLE: %s\n", r1, err(set(SCHED_IDLE, 0)));
  show("idle");
  say("FIFO 0: %s, OTHER 1: %s, policy 4: %s, FIFO 100: %s, DEADLINE: %s\n", err(set(SCHED_FIFO, 0)), err(set(SCHED_OTHER, 1)), err(set(4, 0)),
      err(set(SCHED_FIFO, 100)), err(set(SCHED_DEADLINE, 0)));
  say("NULL param: %s, pid -1: %s, missing pid: %s\n", err(sched_setscheduler(0, SCHED_OTHER, NULL)), err(sched_getscheduler(-1)),
      err(sched_getscheduler(999999)));
  say("FIFO 10: %s\n", err(set(SCHED_FIFO, 10)));
  struct sched_param p = {.sched_priority = 20};
  r1 = err(sched_setparam(0, &p));
  say("setparam 20: %s, setparam 0: %s\n", r1, err(sched_setparam(0, &(struct sched_param){0})));
  show("fifo");
  stat_fields("/proc/self/stat");
  struct timespec ts;
  sched_rr_get_interval(0, &ts);
  say("FIFO quantum %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
  say("RR 5 | RESET_ON_FORK: %s\n", err(set(SCHED_RR | SCHED_RESET_ON_FORK, 5)));
  sched_rr_get_interval(0, &ts);
  say("RR quantum %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
  show("rr");
  pid_t pid = fork();
  if (pid == 0) {
    show("forked child");
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  say("back to OTHER: %s\n", err(set(SCHED_OTHER, 0)));
  show("other");

  struct attr a = {0};
  say("getattr size 40: %s\n", err(syscall(SYS_sched_getattr, 0, &a, 40, 0)));
  say("getattr: %s", err(syscall(SYS_sched_getattr, 0, &a, sizeof a, 0)));
  say(" size %u policy %u flags %lu nice %d priority %u\n", a.size, a.policy, (unsigned long)a.flags, a.nice, a.priority);
  a = (struct attr){.size = 40};
  say("setattr size 40: %s, size now %u\n", err(syscall(SYS_sched_setattr, 0, &a, 0)), a.size);
  a = (struct attr){.size = 48, .policy = SCHED_BATCH, .nice = 7};
  r1 = err(syscall(SYS_sched_setattr, 0, &a, 0));
  say("setattr BATCH nice 7: %s, flags 1: %s\n", r1, err(syscall(SYS_sched_setattr, 0, &a, 1)));
  show("setattr");
  a = (struct attr){.size = 48, .policy = SCHED_FIFO, .priority = 3, .flags = 0x10 /* KEEP_PARAMS */};
  say("setattr KEEP_PARAMS into FIFO: %s\n", err(syscall(SYS_sched_setattr, 0, &a, 0)));
  a = (struct attr){.size = 48, .flags = 0x08 /* KEEP_POLICY */, .nice = 2};
  say("setattr KEEP_POLICY nice 2: %s\n", err(syscall(SYS_sched_setattr, 0, &a, 0)));
  show("kept policy");
  set(SCHED_OTHER, 0);
  setpriority(PRIO_PROCESS, 0, 0);

  r1 = err(syscall(SYS_ioprio_set, 1, 0, 3 << 13));
  const char *r2 = err(syscall(SYS_ioprio_set, 1, 0, 5 << 13));
  const char *r3 = err(syscall(SYS_ioprio_set, 1, 0, 3));
  say("ioprio IDLE: %s, class 5: %s, NONE/3: %s\n", r1, r2, r3);
  show("ioprio idle");
  say("ioprio BE/7: %s\n", err(syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 7)));
  show("ioprio best-effort 7");
  say("ioprio which 9: %s\n", err(syscall(SYS_ioprio_get, 9, 0)));
  syscall(SYS_ioprio_set, 1, 0, 0);

  int tid = 0;
  pthread_t th;
  pthread_create(&th, NULL, thread_main, &tid);
  while (!__atomic_load_n(&tid, __ATOMIC_SEQ_CST)) usleep(1000);
  say("setpriority of the thread: %s\n", err(setpriority(PRIO_PROCESS, tid, 9)));
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
  stat_fields(path);
  show("main thread");

  setpgid(0, 0);
  pid = fork();
  if (pid == 0) {
    sleep(2);
    _exit(0);
  }
  r1 = err(setpriority(PRIO_PGRP, 0, 4));
  say("setpriority of the group 4: %s, getpriority of the group %d, of the child %d\n", r1, getpriority(PRIO_PGRP, 0), getpriority(PRIO_PROCESS, pid));
  say("ioprio_get of the group: %ld\n", syscall(SYS_ioprio_get, 2, 0));
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  setpriority(PRIO_PGRP, 0, 0);

  pid = fork();
  if (pid == 0) {
    if (setuid(65534) != 0) _exit(3);
    say("nobody: nice 3 %s", err(setpriority(PRIO_PROCESS, 0, 3)));
    say(", then 1 %s", err(setpriority(PRIO_PROCESS, 0, 1)));
    say("; nice of pid 1 %s", err(setpriority(PRIO_PROCESS, 1, 5)));
    say("; FIFO 5 %s", err(set(SCHED_FIFO, 5)));
    say("; IDLE %s", err(set(SCHED_IDLE, 0)));
    say(", back to OTHER %s", err(set(SCHED_OTHER, 0)));
    say("; ioprio RT %s", err(syscall(SYS_ioprio_set, 1, 0, 1 << 13)));
    say(", BE %s", err(syscall(SYS_ioprio_set, 1, 0, 2 << 13)));
    say(", of pid 1 %s\n", err(syscall(SYS_ioprio_set, 1, 1, 2 << 13)));
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  pthread_join(th, NULL);
  return 0;
}
