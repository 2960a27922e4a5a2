/*
 * File locks, compared with native Linux: flock(2), POSIX record locks
 * (F_SETLK/F_SETLKW/F_GETLK) and OFD locks (F_OFD_*), between processes
 * made with fork. Every line is printed by one process at a time (the
 * others wait on pipes or waitpid), so the output is deterministic; pids
 * are printed relative to the ones fork returned.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

static char path[64];

static const char *err(int r) { return r == 0 ? "ok" : strerrorname_np(errno); }

static int open_file(int flags) {
  int fd = open(path, flags);
  if (fd < 0) { perror("open"); exit(2); }
  return fd;
}

static int setlk(int fd, int cmd, short type, off_t start, off_t len, short whence) {
  struct flock fl = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len};
  return fcntl(fd, cmd, &fl);
}

/* F_GETLK (or F_OFD_GETLK) for a write lock over [start, start+len): the answer, with l_pid relative to `owner`. */
static void getlk(const char *label, int fd, int cmd, off_t start, off_t len, pid_t owner) {
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  if (fcntl(fd, cmd, &fl) != 0) { say("%s: getlk %s\n", label, strerrorname_np(errno)); return; }
  if (fl.l_type == F_UNLCK) { say("%s: unlocked\n", label); return; }
  const char *who = fl.l_pid == -1 ? "-1" : fl.l_pid == owner ? "owner" : fl.l_pid == getpid() ? "self" : "other";
  say("%s: %s start=%lld len=%lld pid=%s\n", label, fl.l_type == F_RDLCK ? "read" : "write", (long long)fl.l_start, (long long)fl.l_len, who);
}

static void wait_child(pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid) { perror("waitpid"); exit(2); }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) say("child status %#x\n", st);
}

static void got_alarm(int sig) { (void)sig; }

static void on_alarm(int flags) {
  struct sigaction sa = {.sa_handler = got_alarm, .sa_flags = flags};
  sigaction(SIGALRM, &sa, NULL);
}

static void test_flock(void) {
  int a = open_file(O_RDWR), b = open_file(O_RDONLY);
  say("flock ex a: %s\n", err(flock(a, LOCK_EX)));
  say("flock ex|nb b: %s\n", err(flock(b, LOCK_EX | LOCK_NB)));
  say("flock sh|nb b: %s\n", err(flock(b, LOCK_SH | LOCK_NB)));
  int d = dup(a);
  say("flock ex|nb on a dup: %s\n", err(flock(d, LOCK_EX | LOCK_NB)));
  close(a);
  say("after closing a, dup holds: %s\n", err(flock(b, LOCK_SH | LOCK_NB)));
  close(d);
  say("after the last close: %s\n", err(flock(b, LOCK_SH | LOCK_NB)));
  int c = open_file(O_RDONLY);
  say("second shared lock: %s\n", err(flock(c, LOCK_SH | LOCK_NB)));
  say("conversion to ex|nb fails: %s\n", err(flock(c, LOCK_EX | LOCK_NB)));
  say("and dropped c's lock, so b converts: %s\n", err(flock(b, LOCK_EX | LOCK_NB)));
  say("unlock b: %s, unlock again: %s\n", err(flock(b, LOCK_UN)), err(flock(b, LOCK_UN)));
  say("bad op: %s\n", err(flock(b, LOCK_SH | LOCK_EX)));
  close(b);
  close(c);

  /* Inherited across fork: the same description, the same lock. */
  int e = open_file(O_RDWR);
  flock(e, LOCK_EX);
  int p[2];
  if (pipe(p)) exit(2);
  pid_t pid = fork();
  if (pid == 0) {
    say("child, inherited fd: %s\n", err(flock(e, LOCK_EX | LOCK_NB)));
    int own = open_file(O_RDONLY);
    say("child, own description: %s\n", err(flock(own, LOCK_SH | LOCK_NB)));
    if (write(p[1], "w", 1) != 1) _exit(3);
    int r = flock(own, LOCK_SH); /* blocks until the parent unlocks */
    say("child, blocking flock returned %s\n", err(r));
    _exit(0);
  }
  char ch;
  if (read(p[0], &ch, 1) != 1) exit(2);
  sleep_ms(150);
  say("parent unlocks\n");
  flock(e, LOCK_UN); /* the child shares the description: this unlocks it for both */
  wait_child(pid);

  /* A blocked flock is interrupted by a handler without SA_RESTART, restarted with it. */
  flock(e, LOCK_EX);
  pid = fork();
  if (pid == 0) {
    close(e); /* else the child's copy keeps the parent's lock alive */
    int own = open_file(O_RDONLY);
    on_alarm(0);
    alarm(1);
    say("child, flock interrupted: %s\n", err(flock(own, LOCK_SH)));
    if (write(p[1], "w", 1) != 1) _exit(3);
    on_alarm(SA_RESTART);
    alarm(1);
    say("child, restarted flock: %s\n", err(flock(own, LOCK_SH)));
    _exit(0);
  }
  if (read(p[0], &ch, 1) != 1) exit(2);
  sleep_ms(1300);
  say("parent closes\n");
  close(e);
  wait_child(pid);
  close(p[0]);
  close(p[1]);
}

static void test_posix(void) {
  int fd = open_file(O_RDWR);
  int p[2], q[2];
  if (pipe(p) || pipe(q)) exit(2);
  say("write [0,100): %s\n", err(setlk(fd, F_SETLK, F_WRLCK, 0, 100, SEEK_SET)));
  say("unlock [40,60): %s\n", err(setlk(fd, F_SETLK, F_UNLCK, 40, 20, SEEK_SET)));
  say("read [200,210)+[210,220): %s %s\n", err(setlk(fd, F_SETLK, F_RDLCK, 200, 10, SEEK_SET)), err(setlk(fd, F_SETLK, F_RDLCK, 210, 10, SEEK_SET)));
  say("write [300,...) to EOF: %s\n", err(setlk(fd, F_SETLK, F_WRLCK, 300, 0, SEEK_SET)));
  lseek(fd, 500, SEEK_SET);
  say("unlock SEEK_CUR-50 len -50 = [400,450): %s\n", err(setlk(fd, F_SETLK, F_UNLCK, -50, -50, SEEK_CUR)));
  say("read at SEEK_END+1000 (size %lld): %s\n", (long long)lseek(fd, 0, SEEK_END), err(setlk(fd, F_SETLK, F_RDLCK, 1000, 1, SEEK_END)));
  say("own locks never conflict: %s\n", err(setlk(fd, F_SETLK, F_WRLCK, 0, 10, SEEK_SET)));
  getlk("parent sees", fd, F_GETLK, 0, 0, 0);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    getlk("child [0,0)", fd, F_GETLK, 0, 0, parent);
    getlk("child [40,60)", fd, F_GETLK, 40, 20, parent);
    getlk("child [60,61)", fd, F_GETLK, 60, 1, parent);
    getlk("child [150,250)", fd, F_GETLK, 150, 100, parent);
    getlk("child [420,430)", fd, F_GETLK, 420, 10, parent);
    getlk("child [100000,+1)", fd, F_GETLK, 100000, 1, parent);
    say("child read [205,206): %s\n", err(setlk(fd, F_SETLK, F_RDLCK, 205, 1, SEEK_SET)));
    say("child write [205,206): %s\n", err(setlk(fd, F_SETLK, F_WRLCK, 205, 1, SEEK_SET)));
    say("child write [45,55): %s\n", err(setlk(fd, F_SETLK, F_WRLCK, 45, 10, SEEK_SET)));
    _exit(0);
  }
  wait_child(pid);
  /* Closing any other descriptor of the file drops every POSIX lock of the process. */
  close(open_file(O_RDONLY));
  pid = fork();
  if (pid == 0) {
    getlk("child after the parent closed another fd", fd, F_GETLK, 0, 0, parent);
    say("child takes write [0,10): %s\n", err(setlk(fd, F_SETLK, F_WRLCK, 0, 10, SEEK_SET)));
    _exit(0);
  }
  wait_child(pid);
  getlk("parent after the child exited", fd, F_GETLK, 0, 0, pid);

  /* Type changes in the middle split a lock; the child sees each piece. */
  setlk(fd, F_SETLK, F_WRLCK, 0, 30, SEEK_SET);
  setlk(fd, F_SETLK, F_RDLCK, 10, 10, SEEK_SET);
  pid = fork();
  if (pid == 0) {
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    fcntl(fd, F_GETLK, &fl);
    say("child read-test: %s start=%lld len=%lld\n", fl.l_type == F_WRLCK ? "write" : "other", (long long)fl.l_start, (long long)fl.l_len);
    say("child read [10,20): %s, read [15,25): %s\n", err(setlk(fd, F_SETLK, F_RDLCK, 10, 10, SEEK_SET)), err(setlk(fd, F_SETLK, F_RDLCK, 15, 10, SEEK_SET)));
    _exit(0);
  }
  wait_child(pid);
  setlk(fd, F_SETLK, F_UNLCK, 0, 0, SEEK_SET);

  /* F_SETLKW waits for the holder; a deadlock between two processes is EDEADLK. */
  setlk(fd, F_SETLK, F_WRLCK, 0, 1, SEEK_SET);
  pid = fork();
  if (pid == 0) {
    say("child holds [1,2): %s\n", err(setlk(fd, F_SETLK, F_WRLCK, 1, 1, SEEK_SET)));
    if (write(p[1], "w", 1) != 1) _exit(3);
    int r = setlk(fd, F_SETLKW, F_WRLCK, 0, 1, SEEK_SET);
    say("child got [0,1) after waiting: %s\n", err(r));
    if (write(q[1], "w", 1) != 1) _exit(3);
    _exit(0);
  }
  char ch;
  if (read(p[0], &ch, 1) != 1) exit(2);
  sleep_ms(150);
  say("parent waits for [1,2): %s\n", err(setlk(fd, F_SETLKW, F_WRLCK, 1, 1, SEEK_SET)));
  say("parent F_SETLK [1,2): %s\n", err(setlk(fd, F_SETLK, F_WRLCK, 1, 1, SEEK_SET)));
  setlk(fd, F_SETLK, F_UNLCK, 0, 1, SEEK_SET);
  if (read(q[0], &ch, 1) != 1) exit(2);
  wait_child(pid);

  /* A waiting F_SETLKW is interrupted by a handler without SA_RESTART. */
  setlk(fd, F_SETLK, F_WRLCK, 0, 1, SEEK_SET);
  pid = fork();
  if (pid == 0) {
    on_alarm(0);
    alarm(1);
    say("child F_SETLKW interrupted: %s\n", err(setlk(fd, F_SETLKW, F_WRLCK, 0, 1, SEEK_SET)));
    _exit(0);
  }
  wait_child(pid);
  setlk(fd, F_SETLK, F_UNLCK, 0, 0, SEEK_SET);

  /* Errors. */
  int ro = open_file(O_RDONLY), wo = open_file(O_WRONLY);
  say("write lock on O_RDONLY: %s\n", err(setlk(ro, F_SETLK, F_WRLCK, 0, 1, SEEK_SET)));
  say("read lock on O_WRONLY: %s\n", err(setlk(wo, F_SETLK, F_RDLCK, 0, 1, SEEK_SET)));
  say("bad l_type: %s\n", err(setlk(ro, F_SETLK, 9, 0, 1, SEEK_SET)));
  say("bad l_whence: %s\n", err(setlk(ro, F_SETLK, F_RDLCK, 0, 1, 7)));
  say("before offset 0: %s\n", err(setlk(ro, F_SETLK, F_RDLCK, 5, -10, SEEK_SET)));
  struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
  say("F_GETLK with F_UNLCK: %s\n", err(fcntl(ro, F_GETLK, &fl)));
  close(ro);
  close(wo);
  close(fd);
  close(p[0]);
  close(p[1]);
  close(q[0]);
  close(q[1]);
}

static void test_ofd(void) {
  int a = open_file(O_RDWR), b = open_file(O_RDWR);
  say("ofd write [0,10) on a: %s\n", err(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 10, SEEK_SET)));
  say("ofd write [5,6) on b (same process): %s\n", err(setlk(b, F_OFD_SETLK, F_WRLCK, 5, 1, SEEK_SET)));
  getlk("ofd getlk on b", b, F_OFD_GETLK, 0, 0, 0);
  say("posix read [5,6) on b: %s\n", err(setlk(b, F_SETLK, F_RDLCK, 5, 1, SEEK_SET)));
  getlk("posix getlk on b", b, F_GETLK, 0, 0, 0);
  struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 1, .l_pid = 1};
  say("ofd lock with l_pid set: %s\n", err(fcntl(b, F_OFD_SETLK, &fl)));
  say("posix write [20,30) on b: %s\n", err(setlk(b, F_SETLK, F_WRLCK, 20, 10, SEEK_SET)));
  getlk("ofd getlk on a [20,30)", a, F_OFD_GETLK, 20, 10, getpid());
  pid_t pid = fork();
  if (pid == 0) {
    say("child, inherited a, same OFD owner: %s\n", err(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 10, SEEK_SET)));
    close(a); /* not the last reference: the parent's lock stays */
    _exit(0);
  }
  wait_child(pid);
  close(b); /* drops the process's POSIX locks, not the OFD lock of a */
  int c = open_file(O_RDWR);
  getlk("after closing b", c, F_OFD_GETLK, 0, 100, 0);
  close(a);
  getlk("after closing a", c, F_OFD_GETLK, 0, 100, 0);
  close(c);
}

int main(void) {
  snprintf(path, sizeof path, "/tmp/tsvisor-locks-%d", getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "0123456789", 10) != 10) { perror(path); return 2; }
  close(fd);
  say("-- flock\n");
  test_flock();
  say("-- posix\n");
  test_posix();
  say("-- ofd\n");
  test_ofd();
  unlink(path);
  return 0;
}
