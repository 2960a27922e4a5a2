/*
 * reaper: runs one command as a child sub-reaper so that every process the
 * command leaves behind is re-parented here and can be reported.
 *
 *   reaper REPORT_FILE TIMEOUT_SECONDS CMD [ARGS...]
 *
 * stdio is inherited. The report file gets one line per fact:
 *   exit N | signal N | execfail ERRNO | timeout | leak PID CMDLINE
 * Processes still alive LINGER_MS after the command exits are leaks: they are
 * reported, then killed with SIGKILL and reaped. Exits 0 unless it cannot work.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINGER_MS 2000

static FILE *report;

static void reap_all(pid_t main_pid, int *main_status, int *main_done) {
  int st;
  pid_t p;
  while ((p = waitpid(-1, &st, WNOHANG | __WALL)) > 0) {
    if (p == main_pid) { *main_status = st; *main_done = 1; }
  }
}

/* Fills pids with the live (non-zombie) children of this process. */
static int children(pid_t *pids, int max) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  int n = 0;
  pid_t self = getpid();
  if (!d) return 0;
  while ((e = readdir(d)) && n < max) {
    char path[300], buf[512];
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    int fd = open(path, O_RDONLY);
    if (fd < 0) continue;
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0) continue;
    buf[len] = 0;
    char *rp = strrchr(buf, ')');
    char state;
    int ppid;
    if (!rp || sscanf(rp + 2, "%c %d", &state, &ppid) != 2) continue;
    if (ppid == self && state != 'Z') pids[n++] = atoi(e->d_name);
  }
  closedir(d);
  return n;
}

static void report_leak(pid_t pid) {
  char path[64], cmd[512];
  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  int fd = open(path, O_RDONLY);
  ssize_t len = fd >= 0 ? read(fd, cmd, sizeof cmd - 1) : 0;
  if (fd >= 0) close(fd);
  if (len < 0) len = 0;
  for (ssize_t i = 0; i < len; i++) if (cmd[i] == 0) cmd[i] = ' ';
  cmd[len] = 0;
  fprintf(report, "leak %d %s\n", pid, cmd);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Waits for SIGCHLD until deadline_ms; returns 0 on timeout. */
static int wait_chld(const sigset_t *set, long long deadline_ms) {
  long long left = deadline_ms - now_ms();
  if (left <= 0) return 0;
  struct timespec ts = { left / 1000, (left % 1000) * 1000000 };
  return sigtimedwait(set, NULL, &ts) == SIGCHLD || errno == EINTR;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: reaper REPORT TIMEOUT CMD...\n"); return 2; }
  report = fopen(argv[1], "w");
  if (!report) { perror("reaper: report"); return 2; }
  setvbuf(report, NULL, _IOLBF, 0);
  long long timeout_ms = atoll(argv[2]) * 1000LL;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) { perror("reaper: subreaper"); return 2; }

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);

  pid_t pid = fork();
  if (pid < 0) { perror("reaper: fork"); return 2; }
  if (pid == 0) {
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    execv(argv[3], argv + 3);
    int err = errno;
    fprintf(report, "execfail %d\n", err);
    fprintf(stderr, "%s: %s\n", argv[3], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }

  int status = 0, done = 0;
  long long deadline = now_ms() + timeout_ms;
  while (!done) {
    reap_all(pid, &status, &done);
    if (done) break;
    if (!wait_chld(&set, deadline)) {
      fprintf(report, "timeout\n");
      kill(pid, SIGKILL);
      deadline = now_ms() + 1000 * 3600;
    }
  }
  if (WIFEXITED(status)) fprintf(report, "exit %d\n", WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) fprintf(report, "signal %d\n", WTERMSIG(status));

  /* Give well-behaved helpers a moment to exit on their own. */
  pid_t left[256];
  long long linger = now_ms() + LINGER_MS;
  int n;
  while ((n = children(left, 256)) > 0 && now_ms() < linger) {
    int dummy_done = 0, dummy;
    wait_chld(&set, now_ms() + 20 < linger ? now_ms() + 20 : linger);
    reap_all(-1, &dummy, &dummy_done);
  }
  /* Whatever is still here leaked; grandchildren re-parent here as parents die. */
  for (int round = 0; round < 50 && (n = children(left, 256)) > 0; round++) {
    for (int i = 0; i < n; i++) { report_leak(left[i]); kill(left[i], SIGKILL); }
    int dummy_done = 0, dummy;
    wait_chld(&set, now_ms() + 20);
    reap_all(-1, &dummy, &dummy_done);
  }
  fclose(report);
  return 0;
}
