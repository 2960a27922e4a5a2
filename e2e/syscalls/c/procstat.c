/*
 * What ps and top read from /proc/[pid]/stat, statm and status: the state
 * of a running, sleeping, stopped and zombie process, CPU time, start
 * time, thread count and memory. Values differ from run to run, so each
 * line says whether a fact holds; the sandbox must agree with Linux.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "say.h"

#define MIB (1024L * 1024)

static void slurp(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "r");
  if (!f) {
    say("cannot open %s\n", path);
    exit(1);
  }
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = 0;
  fclose(f);
}

/* Field `n` (1-based, proc(5) numbering) of the stat file in `dir`; the state (3) as its letter's code. */
static long long stat_field_in(const char *dir, int n) {
  char path[512], buf[2048];
  snprintf(path, sizeof path, "%s/stat", dir);
  slurp(path, buf, sizeof buf);
  if (n == 1) return strtoll(buf, NULL, 10);
  char *p = strrchr(buf, ')') + 2; /* field 3 */
  if (n == 3) return *p;
  for (int i = 3; i < n; i++) p = strchr(p, ' ') + 1;
  return strtoll(p, NULL, 10);
}

/* A line's value in the status file in `dir` ("State" gives its letter's code, Vm* their kB); -1 if absent. */
static long status_field_in(const char *dir, const char *key) {
  char path[512], buf[4096];
  snprintf(path, sizeof path, "%s/status", dir);
  slurp(path, buf, sizeof buf);
  size_t k = strlen(key);
  for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (strncmp(line, key, k) == 0 && line[k] == ':') {
      char *v = line + k + 1;
      while (*v == ' ' || *v == '\t') v++;
      return strcmp(key, "State") == 0 ? *v : strtol(v, NULL, 10);
    }
  }
  return -1;
}

static long long stat_field(pid_t pid, int n) {
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%d", pid);
  return stat_field_in(dir, n);
}

static long status_field(pid_t pid, const char *key) {
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%d", pid);
  return status_field_in(dir, key);
}

/* /proc/self/task/TID: entries whose stat and status name their own tid, and how many sleep. */
static void threads_of_self(void) {
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  int entries = 0, own = 0, sleeping = 0;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char dir[300];
    snprintf(dir, sizeof dir, "/proc/self/task/%s", e->d_name);
    long tid = atol(e->d_name);
    entries++;
    own += stat_field_in(dir, 1) == tid && status_field_in(dir, "Pid") == tid;
    sleeping += stat_field_in(dir, 3) == 'S';
  }
  closedir(d);
  say("task entries %d, naming their own tid %d, sleeping %d\n", entries, own, sleeping);
}

static void statm(long *size, long *resident, long *data) {
  char buf[256];
  slurp("/proc/self/statm", buf, sizeof buf);
  long shared, text, lib;
  sscanf(buf, "%ld %ld %ld %ld %ld %ld", size, resident, &shared, &text, &lib, data);
}

static const char *yes(int ok) { return ok ? "yes" : "no"; }

/* /proc/stat's first line: user + nice + system ticks of all CPUs. */
static long long busy_ticks(void) {
  char buf[4096];
  long long user, nice, sys;
  slurp("/proc/stat", buf, sizeof buf);
  if (sscanf(buf, "cpu %lld %lld %lld", &user, &nice, &sys) != 3) return -1;
  return user + nice + sys;
}

static void *sleeper(void *arg) {
  (void)arg;
  pause();
  return NULL;
}

int main(void) {
  long page = sysconf(_SC_PAGESIZE);
  pid_t self = getpid();
  say("self state %c, status %c\n", (int)stat_field(self, 3), (int)status_field(self, "State"));

  /* CPU time: computing without syscalls shows in utime + stime, as the CPU clock counts it, and in /proc/stat. */
  long long busy0 = busy_ticks();
  for (volatile unsigned long i = 0; i < 300000000UL; i++) {
  }
  struct timespec cpu;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
  long long ticks = stat_field(self, 14) + stat_field(self, 15);
  long long clock_ticks = cpu.tv_sec * 100 + cpu.tv_nsec / 10000000;
  say("cpu ticks counted: %s, agree with the cpu clock: %s\n", yes(ticks >= 5), yes(llabs(ticks - clock_ticks) <= 5));
  say("/proc/stat busy time grew as much: %s\n", yes(busy_ticks() - busy0 >= ticks - 5));

  /* Memory: 64 MiB touched grows the resident and data sizes by that much; the three files agree. */
  long rss0 = status_field(self, "VmRSS"), data0 = status_field(self, "VmData");
  char *m = malloc(64 * MIB);
  for (long i = 0; i < 64 * MIB; i += page) m[i] = 1;
  long rss1 = status_field(self, "VmRSS"), data1 = status_field(self, "VmData"), vm = status_field(self, "VmSize");
  long size, resident, data;
  statm(&size, &resident, &data);
  long long vsize = stat_field(self, 23), rss_pages = stat_field(self, 24);
  say("VmRSS grew by 64 MiB: %s, VmData too: %s\n", yes(rss1 - rss0 >= 64 * 1024 && rss1 - rss0 < 72 * 1024),
      yes(data1 - data0 >= 64 * 1024));
  say("statm size = VmSize: %s, stat vsize = VmSize: %s\n", yes(size * page / 1024 == vm), yes(vsize / 1024 == vm));
  say("statm resident ~ VmRSS: %s, stat rss ~ VmRSS: %s\n", yes(labs(resident * page / 1024 - rss1) < 1024),
      yes(llabs(rss_pages * page / 1024 - rss1) < 1024));
  free(m);

  /* Threads. */
  pthread_t th[3];
  for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, sleeper, NULL);
  say("threads: stat %lld, status %ld\n", stat_field(self, 20), status_field(self, "Threads"));
  nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL); /* the threads reach pause() */
  threads_of_self();

  /* A child: sleeping in read, stopped by SIGSTOP, then a zombie (no memory lines). */
  int p[2];
  if (pipe(p) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    char c;
    close(p[1]);
    read(p[0], &c, 1);
    _exit(3);
  }
  close(p[0]);
  struct timespec d = {0, 100 * 1000 * 1000};
  nanosleep(&d, NULL);
  say("child reading: stat %c, status %c\n", (int)stat_field(child, 3), (int)status_field(child, "State"));
  say("child started after its parent: %s\n", yes(stat_field(child, 22) >= stat_field(self, 22)));
  kill(child, SIGSTOP);
  int st;
  waitpid(child, &st, WUNTRACED);
  say("child stopped: stat %c, status %c\n", (int)stat_field(child, 3), (int)status_field(child, "State"));
  kill(child, SIGCONT);
  if (write(p[1], "x", 1) != 1) return 1;
  siginfo_t si;
  waitid(P_PID, child, &si, WEXITED | WNOWAIT);
  say("child exited: stat %c, status %c, VmSize line %s\n", (int)stat_field(child, 3), (int)status_field(child, "State"),
      yes(status_field(child, "VmSize") >= 0));
  waitpid(child, &st, 0);
  say("child exit code %d\n", WEXITSTATUS(st));
  return 0;
}
