/*
 * POSIX message queues: mq_open's rules (names, O_CREAT/O_EXCL, attributes
 * and their limits, permissions, the umask, close-on-exec), priorities and
 * order, full and empty queues with O_NONBLOCK and absolute timeouts, a
 * receive woken by another process, mq_notify (a signal with SI_MESGQ and
 * the sender, EBUSY, one-shot, none while a receiver waits, the status
 * line a read returns), mq_getsetattr, mq_unlink with open descriptors,
 * RLIMIT_MSGQUEUE and poll; compared with a native run.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "say.h"

static char name[64], name2[64], name3[64];

static struct timespec in_ms(int ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += (long)ms * 1000000;
  ts.tv_sec += ts.tv_nsec / 1000000000;
  ts.tv_nsec %= 1000000000;
  return ts;
}

static volatile sig_atomic_t got, got_code, got_value, got_pid;
static void on_usr1(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  got = sig;
  got_code = si->si_code;
  got_value = si->si_value.sival_int;
  got_pid = si->si_pid;
}

static const char *attr_text(mqd_t q) {
  static char b[96];
  struct mq_attr a;
  if (mq_getattr(q, &a) != 0) return result(-1);
  snprintf(b, sizeof b, "flags %ld maxmsg %ld msgsize %ld curmsgs %ld", a.mq_flags, a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs);
  return b;
}

static const char *status_line(mqd_t q) {
  static char b[128];
  char raw[128] = {0};
  long n = pread(q, raw, sizeof raw - 1, 0);
  if (n < 0) n = read(q, raw, sizeof raw - 1);
  int pid = 0, qsize = 0, notify = 0, signo = 0;
  sscanf(raw, "QSIZE:%d NOTIFY:%d SIGNO:%d NOTIFY_PID:%d", &qsize, &notify, &signo, &pid);
  snprintf(b, sizeof b, "QSIZE %d NOTIFY %d SIGNO %d owner is me %d, length %zu", qsize, notify, signo, pid == getpid(), strlen(raw));
  return b;
}

/*
 * RLIMIT_MSGQUEUE, run in the sandbox only: natively the limit counts the
 * queues root holds in every IPC namespace of the host. A queue of 10
 * messages of 8192 bytes costs 82880 bytes (48 per message for struct
 * msg_msg and 48 for its tree node, as Linux counts), one of 1024 bytes 1120.
 */
static void rlimit_part(void) {
  struct rlimit rl = {100000, 100000};
  setrlimit(RLIMIT_MSGQUEUE, &rl);
  mqd_t a = mq_open(name, O_RDWR | O_CREAT, 0600, NULL);
  say("first under a 100000-byte limit: %s\n", a >= 0 ? "ok" : result(-1));
  say("second: %s\n", result(mq_open(name2, O_RDWR | O_CREAT, 0600, NULL)));
  struct mq_attr tiny = {0, 1, 1024, 0, {0}};
  mqd_t b = mq_open(name2, O_RDWR | O_CREAT, 0600, &tiny);
  say("a small second: %s\n", b >= 0 ? "ok" : result(-1));
  mq_unlink(name);
  say("after unlinking the first, still open: %s\n", result(mq_open(name3, O_RDWR | O_CREAT, 0600, NULL)));
  mq_close(a);
  mqd_t d = mq_open(name3, O_RDWR | O_CREAT, 0600, NULL);
  say("after closing it: %s\n", d >= 0 ? "ok" : result(-1));
  mq_close(b);
  mq_close(d);
  mq_unlink(name2);
  mq_unlink(name3);
}

int main(int argc, char **argv) {
  snprintf(name, sizeof name, "/tsv-mq-%d", getpid());
  snprintf(name2, sizeof name2, "/tsv-mq2-%d", getpid());
  snprintf(name3, sizeof name3, "/tsv-mq3-%d", getpid());
  umask(022);
  if (argc > 1) {
    rlimit_part();
    return 0;
  }
  say("no leading slash: %s\n", result(mq_open("tsv-mq", O_RDWR | O_CREAT, 0600, NULL)));
  say("a slash inside: %s\n", result(mq_open("/a/b", O_RDWR | O_CREAT, 0600, NULL)));
  say("just a slash: %s\n", result(mq_open("/", O_RDWR | O_CREAT, 0600, NULL)));
  char longname[300];
  longname[0] = '/';
  memset(longname + 1, 'x', 298);
  longname[299] = 0;
  say("a 298-byte name: %s\n", result(mq_open(longname, O_RDWR | O_CREAT, 0600, NULL)));
  say("missing without O_CREAT: %s\n", result(mq_open(name, O_RDWR)));

  mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0666, NULL);
  struct stat st;
  fstat(q, &st);
  say("created: %s, cloexec %d, mode %o, size %ld, nlink %ld\n", q >= 0 ? "ok" : "failed", fcntl(q, F_GETFD), st.st_mode, (long)st.st_size, (long)st.st_nlink);
  say("defaults: %s\n", attr_text(q));
  say("O_EXCL again: %s\n", result(mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL)));
  say("access mode 3: %s\n", result(mq_open(name, 3)));
  struct pollfd p = {q, POLLIN | POLLOUT, 0};
  poll(&p, 1, 0);
  say("empty: poll IN %d OUT %d\n", (p.revents & POLLIN) != 0, (p.revents & POLLOUT) != 0);

  say("send prio 1 'a': %s\n", result(mq_send(q, "a", 1, 1)));
  say("send prio 5 'bb': %s\n", result(mq_send(q, "bb", 2, 5)));
  say("send prio 1 'ccc': %s\n", result(mq_send(q, "ccc", 3, 1)));
  say("prio 32768: %s\n", result(mq_send(q, "x", 1, 32768)));
  say("8193 bytes: %s\n", result(mq_send(q, (char[8193]){0}, 8193, 0)));
  say("status: %s\n", status_line(q));
  char buf[8192];
  unsigned prio;
  say("small buffer: %s\n", result(mq_receive(q, buf, 100, &prio)));
  for (int i = 0; i < 3; i++) {
    long n = mq_receive(q, buf, sizeof buf, &prio);
    say("receive: %s '%.*s' prio %u\n", result(n), (int)(n > 0 ? n : 0), buf, prio);
  }
  mqd_t ro = mq_open(name, O_RDONLY);
  mqd_t wo = mq_open(name, O_WRONLY);
  say("send on O_RDONLY: %s\n", result(mq_send(ro, "x", 1, 0)));
  say("receive on O_WRONLY: %s\n", result(mq_receive(wo, buf, sizeof buf, NULL)));
  say("send on stdout: %s\n", result(mq_send(1, "x", 1, 0)));

  /* A small queue: full and empty, without waiting and with timeouts. */
  struct mq_attr small = {0, 2, 16, 0, {0}};
  mqd_t s = mq_open(name2, O_RDWR | O_CREAT | O_NONBLOCK, 0600, &small);
  say("small: %s\n", attr_text(s));
  mq_send(s, "1", 1, 0);
  mq_send(s, "2", 1, 0);
  say("full, nonblocking: %s\n", result(mq_send(s, "3", 1, 0)));
  poll(&p, 1, 0);
  p.fd = s;
  poll(&p, 1, 0);
  say("full: poll IN %d OUT %d\n", (p.revents & POLLIN) != 0, (p.revents & POLLOUT) != 0);
  struct mq_attr blocking = {0}, old;
  long r = mq_setattr(s, &blocking, &old);
  say("set blocking: %s, old flags %ld\n", result(r), old.mq_flags);
  struct timespec ts = in_ms(50);
  say("full, 50 ms timeout: %s\n", result(mq_timedsend(s, "3", 1, 0, &ts)));
  ts.tv_nsec = 2000000000;
  say("bad timeout: %s\n", result(mq_timedsend(s, "3", 1, 0, &ts)));
  mq_receive(s, buf, sizeof buf, NULL);
  say("bad timeout with room: %s\n", result(mq_timedsend(s, "3", 1, 0, &ts)));
  mq_receive(s, buf, sizeof buf, NULL);
  ts.tv_sec = 1;
  ts.tv_nsec = 0;
  say("empty, a timeout in 1970: %s\n", result(mq_timedreceive(s, buf, sizeof buf, NULL, &ts)));
  struct mq_attr bad = {O_NONBLOCK | O_APPEND, 0, 0, 0, {0}};
  say("mq_flags with O_APPEND: %s\n", result(mq_setattr(s, &bad, NULL)));

  /* A blocking receive that another process's send ends. */
  pid_t c = fork();
  if (c == 0) {
    sleep_ms(50);
    mq_send(s, "late", 4, 3);
    _exit(0);
  }
  long n = mq_receive(s, buf, sizeof buf, &prio);
  say("woken receive: %s '%.*s' prio %u\n", result(n), (int)(n > 0 ? n : 0), buf, prio);
  waitpid(c, NULL, 0);

  /* mq_notify with a signal. */
  struct sigaction sa = {0};
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  struct sigevent ev = {0};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  ev.sigev_value.sival_int = 77;
  say("notify: %s\n", result(mq_notify(q, &ev)));
  say("status: %s\n", status_line(q));
  c = fork();
  if (c == 0) {
    say("child registers too: %s\n", result(mq_notify(q, &ev)));
    say("child unregisters someone else's: %s\n", result(mq_notify(q, NULL)));
    mq_send(q, "n", 1, 0);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  for (int i = 0; i < 100 && !got; i++) sleep_ms(10);
  say("notified: sig %d code %d value %d from the child %d\n", got, got_code, got_value, got_pid == c);
  say("status after: %s\n", status_line(q));
  got = 0;
  r = mq_send(q, "m", 1, 0);
  sleep_ms(20);
  say("second message (no registration): %s, signal %d\n", result(r), got);
  mq_receive(q, buf, sizeof buf, NULL);
  mq_receive(q, buf, sizeof buf, NULL);
  say("register again: %s\n", result(mq_notify(q, &ev)));
  say("and again: %s\n", result(mq_notify(q, &ev)));
  say("unregister: %s\n", result(mq_notify(q, NULL)));
  say("register SIGEV_NONE: %s\n", result(mq_notify(q, &(struct sigevent){.sigev_notify = SIGEV_NONE})));
  say("status: %s\n", status_line(q));
  mq_notify(q, NULL);
  say("bad sigev_notify: %s\n", result(mq_notify(q, &(struct sigevent){.sigev_notify = 7})));
  say("bad signal: %s\n", result(mq_notify(q, &(struct sigevent){.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 99})));
  /* A waiting receiver takes the message: no notification. */
  mq_notify(q, &ev);
  c = fork();
  if (c == 0) {
    long k = mq_receive(q, buf, sizeof buf, NULL);
    say("waiting child got: %s\n", result(k));
    _exit(0);
  }
  sleep_ms(100);
  mq_send(q, "w", 1, 0);
  waitpid(c, NULL, 0);
  sleep_ms(20);
  say("with a receiver waiting: signal %d, %s\n", got, status_line(q));
  mqd_t q2 = mq_open(name, O_RDWR);
  close(q2);
  say("closing a descriptor ends my registration: %s\n", status_line(q));

  /* Another user: permissions and the sticky rule. */
  mqd_t priv = mq_open(name3, O_RDWR | O_CREAT, 0600, NULL);
  c = fork();
  if (c == 0) {
    if (setgid(65534) || setuid(65534)) _exit(90);
    say("nobody opens a 0600 queue: %s\n", result(mq_open(name3, O_RDONLY)));
    long rd = mq_open(name, O_RDONLY);
    say("nobody opens a 0644 queue for reading: %s\n", rd >= 0 ? "ok" : result(rd));
    say("nobody opens it for writing: %s\n", result(mq_open(name, O_WRONLY)));
    say("nobody unlinks it: %s\n", result(mq_unlink(name)));
    struct mq_attr big = {0, 11, 128, 0, {0}};
    say("nobody asks for 11 messages: %s\n", result(mq_open("/tsv-mq-nobody", O_RDWR | O_CREAT, 0600, &big)));
    struct mq_attr zero = {0, 0, 128, 0, {0}};
    say("nobody asks for 0 messages: %s\n", result(mq_open("/tsv-mq-nobody", O_RDWR | O_CREAT, 0600, &zero)));
    _exit(0);
  }
  waitpid(c, NULL, 0);

  /* Unlink: the name goes, open descriptors keep the queue. */
  say("unlink: %s\n", result(mq_unlink(name)));
  say("unlink again: %s\n", result(mq_unlink(name)));
  say("open after unlink: %s\n", result(mq_open(name, O_RDWR)));
  say("send after unlink: %s\n", result(mq_send(q, "z", 1, 0)));
  say("receive after unlink: %s\n", result(mq_receive(q, buf, sizeof buf, NULL)));
  fstat(q, &st);
  say("nlink after unlink: %ld\n", (long)st.st_nlink);
  mq_close(q);
  mq_close(ro);
  mq_close(wo);
  mq_close(s);
  mq_close(priv);
  mq_unlink(name2);
  mq_unlink(name3);

  say("done\n");
  return 0;
}
