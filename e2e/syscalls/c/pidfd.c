/*
 * pidfds: pidfd_open, poll readiness through exit and reaping,
 * pidfd_send_signal (plain and with a siginfo), pidfd_getfd, waitid's
 * P_PIDFD (blocking, nonblocking, not a child), CLONE_PIDFD through clone
 * and clone3, and Linux's errors for each. Every line is compared with a
 * native run.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "say.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define PIDFD_NONBLOCK O_NONBLOCK

static int pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags) { return syscall(SYS_pidfd_send_signal, fd, sig, info, flags); }
static int pidfd_getfd(int fd, int target, unsigned flags) { return syscall(SYS_pidfd_getfd, fd, target, flags); }

static const char *events(int fd) {
  static char b[32];
  struct pollfd p = {fd, POLLIN, 0};
  int n = poll(&p, 1, 0);
  snprintf(b, sizeof b, "%d:%s%s", n, p.revents & POLLIN ? "IN" : "", p.revents & POLLHUP ? "|HUP" : "");
  return b;
}

/* The Pid: and NSpid: lines of fd's fdinfo, with `pid` shown as P. */
static const char *fdinfo_pid(int fd, pid_t pid) {
  static char out[96];
  char path[64], buf[512], want[16];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int f = open(path, O_RDONLY);
  long n = read(f, buf, sizeof buf - 1);
  close(f);
  buf[n > 0 ? n : 0] = 0;
  snprintf(want, sizeof want, "%d", pid);
  out[0] = 0;
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "Pid:", 4) && strncmp(line, "NSpid:", 6)) continue;
    char *v = strchr(line, '\t');
    strncat(out, line, v ? (size_t)(v - line + 1) : strlen(line));
    strncat(out, v && strcmp(v + 1, want) == 0 ? "P" : v ? v + 1 : "", sizeof out - strlen(out) - 1);
    strncat(out, " ", sizeof out - strlen(out) - 1);
  }
  return out;
}

static volatile sig_atomic_t got_sig, got_code, got_value;
static void on_usr1(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  got_sig = sig;
  got_code = si->si_code;
  got_value = si->si_value.sival_int;
}

int main(void) {
  long r;
  /* Errors of pidfd_open. */
  say("pidfd_open flags 1: %s, pid 0: %s, pid -1: %s\n", result(pidfd_open(getpid(), 1)), result(pidfd_open(0, 0)), result(pidfd_open(-1, 0)));
  int self = pidfd_open(getpid(), 0);
  long rd = read(self, (char[8]){0}, 8);
  say("own pidfd: cloexec %d, flags 0%o, events %s, read %s\n", fcntl(self, F_GETFD), fcntl(self, F_GETFL) & ~0100000, events(self), result(rd));
  say("waitid on own pidfd: %s\n", result(waitid(P_PIDFD, self, &(siginfo_t){0}, WEXITED | WNOHANG)));
  say("waitid P_PIDFD of fd 0: %s, of -1: %s\n", result(waitid(P_PIDFD, 0, &(siginfo_t){0}, WEXITED)), result(waitid(P_PIDFD, -1, &(siginfo_t){0}, WEXITED)));

  /* A child's life through its pidfd: alive, exited, reaped. */
  pid_t c = fork();
  if (c == 0) {
    sleep_ms(150);
    _exit(3);
  }
  int fd = pidfd_open(c, 0);
  int nb = pidfd_open(c, PIDFD_NONBLOCK);
  say("child pidfd: %s, events %s, nonblocking flags 0%o\n", fd >= 0 ? "ok" : result(fd), events(fd), fcntl(nb, F_GETFL) & ~0100000);
  siginfo_t si = {0};
  say("nonblocking waitid while it runs: %s\n", result(waitid(P_PIDFD, nb, &si, WEXITED)));
  r = waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG);
  say("waitid WNOHANG while it runs: %s, si_pid %d\n", result(r), si.si_pid);
  struct pollfd p = {fd, POLLIN, 0};
  r = poll(&p, 1, 5000);
  say("poll until it exits: %ld, IN %d\n", r, (p.revents & POLLIN) != 0);
  say("exited, not reaped: events %s\n", events(fd));
  say("fdinfo: %s\n", fdinfo_pid(fd, c));
  say("signal 0: %s\n", result(pidfd_send_signal(fd, 0, NULL, 0)));
  say("SIGKILL: %s\n", result(pidfd_send_signal(fd, SIGKILL, NULL, 0)));
  r = pidfd_open(c, 0);
  say("pidfd_open of the zombie: %s\n", r >= 0 ? "ok" : result(r));
  say("getfd of the zombie's fd 1: %s\n", result(pidfd_getfd(fd, 1, 0)));
  si.si_pid = 0;
  r = waitid(P_PIDFD, fd, &si, WEXITED | WNOWAIT);
  say("waitid WNOWAIT: %s, si_pid ok %d, code %d, status %d\n", result(r), si.si_pid == c, si.si_code, si.si_status);
  si.si_pid = 0;
  r = waitid(P_PIDFD, fd, &si, WEXITED);
  say("waitid: %s, si_pid ok %d, code %d, status %d\n", result(r), si.si_pid == c, si.si_code, si.si_status);
  say("reaped: events %s\n", events(fd));
  say("fdinfo: %s\n", fdinfo_pid(fd, c));
  say("signal 0: %s\n", result(pidfd_send_signal(fd, 0, NULL, 0)));
  say("getfd: %s\n", result(pidfd_getfd(fd, 1, 0)));
  say("waitid: %s\n", result(waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG)));
  say("pidfd_open: %s\n", result(pidfd_open(c, 0)));
  close(fd);
  close(nb);

  /* pidfd_send_signal to a child that reports what it takes. */
  int rep[2];
  if (pipe(rep)) return 1;
  c = fork();
  if (c == 0) {
    close(rep[0]);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t usr1, none;
    sigemptyset(&usr1);
    sigemptyset(&none);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    if (write(rep[1], "r", 1) != 1) _exit(98);
    for (;;) {
      sigsuspend(&none);
      if (got_sig) {
        char line[64];
        int n = snprintf(line, sizeof line, "child took sig %d code %d value %d\n", got_sig, got_code, got_value);
        if (write(rep[1], line, n) != n) _exit(97);
        got_sig = 0;
      }
    }
  }
  close(rep[1]);
  char line[64];
  if (read(rep[0], line, 1) != 1) return 1;
  fd = pidfd_open(c, 0);
  say("send SIGUSR1: %s\n", result(pidfd_send_signal(fd, SIGUSR1, NULL, 0)));
  int n = read(rep[0], line, sizeof line);
  say("%.*s", n, line);
  siginfo_t info = {0};
  info.si_signo = SIGUSR1;
  info.si_code = SI_QUEUE;
  info.si_value.sival_int = 42;
  say("send with SI_QUEUE siginfo: %s\n", result(pidfd_send_signal(fd, SIGUSR1, &info, 0)));
  n = read(rep[0], line, sizeof line);
  say("%.*s", n, line);
  info.si_code = SI_USER;
  say("siginfo with SI_USER to another process: %s\n", result(pidfd_send_signal(fd, SIGUSR1, &info, 0)));
  info.si_code = SI_QUEUE;
  info.si_signo = SIGUSR2;
  say("si_signo not sig: %s\n", result(pidfd_send_signal(fd, SIGUSR1, &info, 0)));
  say("flags 8: %s\n", result(pidfd_send_signal(fd, SIGUSR1, NULL, 8)));
  say("signal 999: %s\n", result(pidfd_send_signal(fd, 999, NULL, 0)));
  say("fd 0: %s\n", result(pidfd_send_signal(0, SIGUSR1, NULL, 0)));
  say("closed fd: %s\n", result(pidfd_send_signal(900, SIGUSR1, NULL, 0)));
  info.si_code = 0;
  info.si_signo = 0;
  say("SI_USER siginfo with signal 0 to oneself: %s\n", result(pidfd_send_signal(self, 0, &info, 0)));
  say("SIGTERM: %s\n", result(pidfd_send_signal(fd, SIGTERM, NULL, 0)));
  si.si_pid = 0;
  waitid(P_PIDFD, fd, &si, WEXITED);
  say("child ended: code %d status %d\n", si.si_code, si.si_status);
  close(fd);
  close(rep[0]);

  /* pidfd_getfd: a child's pipe end, as a new close-on-exec descriptor. */
  int sync[2], data[2];
  if (pipe(sync) || pipe(data)) return 1;
  c = fork();
  if (c == 0) {
    dup2(data[0], 50);
    if (write(data[1], "hello", 5) != 5) _exit(98);
    close(data[0]);
    close(data[1]);
    if (write(sync[1], "r", 1) != 1) _exit(97);
    pause();
    _exit(0);
  }
  close(data[0]);
  close(data[1]);
  if (read(sync[0], line, 1) != 1) return 1;
  fd = pidfd_open(c, 0);
  int got = pidfd_getfd(fd, 50, 0);
  char buf[8] = {0};
  r = read(got, buf, 5);
  say("getfd: %s, cloexec %d, read %s \"%s\"\n", got >= 0 ? "ok" : result(got), fcntl(got, F_GETFD), result(r), buf);
  say("getfd flags 1: %s\n", result(pidfd_getfd(fd, 50, 1)));
  say("fd 77: %s\n", result(pidfd_getfd(fd, 77, 0)));
  say("not a pidfd: %s\n", result(pidfd_getfd(sync[0], 50, 0)));
  pid_t nobody = fork();
  if (nobody == 0) {
    if (setgid(65534) || setuid(65534)) _exit(90);
    say("getfd as another user: %s\n", result(pidfd_getfd(fd, 50, 0)));
    say("signal as another user: %s\n", result(pidfd_send_signal(fd, SIGUSR1, NULL, 0)));
    say("kill 0: %s\n", result(kill(c, 0)));
    say("tgkill: %s\n", result(syscall(SYS_tgkill, c, c, SIGUSR1)));
    say("sigqueue: %s\n", result(sigqueue(c, SIGUSR1, (union sigval){0})));
    say("kill 0 of its own group: %s, of every process: %s\n", result(kill(0, 0)), result(kill(-1, 0)));
    say("SIGCONT in the same session: %s\n", result(kill(c, SIGCONT)));
    say("SIGCONT through the pidfd: %s\n", result(pidfd_send_signal(fd, SIGCONT, NULL, 0)));
    _exit(0);
  }
  waitpid(nobody, NULL, 0);
  pidfd_send_signal(fd, SIGKILL, NULL, 0);
  si.si_pid = 0;
  waitid(P_PIDFD, fd, &si, WEXITED);
  say("killed: code %d status %d\n", si.si_code, si.si_status);
  close(fd);
  close(got);

  /* CLONE_PIDFD through clone(2) (the pidfd at parent_tid) and clone3(2). */
  int pfd = -1;
  r = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pfd, 0, 0);
  if (r == 0) _exit(7);
  si.si_pid = 0;
  long w = waitid(P_PIDFD, pfd, &si, WEXITED);
  say("clone CLONE_PIDFD: pidfd %s, cloexec %d, waitid %s, ok %d, status %d\n", pfd >= 0 ? "ok" : "none", fcntl(pfd, F_GETFD), result(w), si.si_pid == r, si.si_status);
  close(pfd);
  say("clone CLONE_PIDFD|CLONE_PARENT_SETTID: %s\n", result(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &pfd, 0, 0)));
  struct clone_args ca = {0};
  pfd = -1;
  ca.flags = CLONE_PIDFD;
  ca.pidfd = (uint64_t)(uintptr_t)&pfd;
  ca.exit_signal = SIGCHLD;
  r = syscall(SYS_clone3, &ca, sizeof ca);
  if (r == 0) _exit(9);
  si.si_pid = 0;
  w = waitid(P_PIDFD, pfd, &si, WEXITED);
  say("clone3 CLONE_PIDFD: pidfd %s, waitid %s, ok %d, status %d\n", pfd >= 0 ? "ok" : "none", result(w), si.si_pid == r, si.si_status);
  close(pfd);
  ca.flags = CLONE_PIDFD | CLONE_DETACHED;
  say("clone3 CLONE_PIDFD|CLONE_DETACHED: %s\n", result(syscall(SYS_clone3, &ca, sizeof ca)));
  ca.flags = CLONE_PIDFD;
  ca.pidfd = 8;
  say("clone3 pidfd at a bad address: %s\n", result(syscall(SYS_clone3, &ca, sizeof ca)));
  say("done\n");
  return 0;
}
