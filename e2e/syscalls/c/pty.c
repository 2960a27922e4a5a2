/*
 * Pseudo-terminals: run natively and in the sandbox, the output must match.
 * Each section prints what a program observes: termios defaults, canonical
 * line editing and echo, output post-processing, raw mode, window size and
 * SIGWINCH, ^C to the foreground group, controlling terminals, background
 * reads, polling and hangup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void show(const char *what, const char *buf, int n) {
  printf("%s %d:", what, n);
  for (int i = 0; i < n; i++) {
    unsigned char c = buf[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') printf("%c", c);
    else printf("\\x%02x", c);
  }
  printf("\n");
}

/* Reads what the master has (echo, output) without blocking for long. */
static void drain(int m, const char *what) {
  char buf[512];
  int total = 0;
  struct pollfd p = {m, POLLIN, 0};
  while (poll(&p, 1, 200) > 0 && (p.revents & POLLIN)) {
    int n = read(m, buf + total, sizeof buf - total);
    if (n <= 0) break;
    total += n;
  }
  show(what, buf, total);
}

static int newpty(int *slave) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) { perror("openpt"); exit(1); }
  *slave = open(ptsname(m), O_RDWR | O_NOCTTY);
  if (*slave < 0) { perror("open slave"); exit(1); }
  return m;
}

static void defaults(void) {
  int s, m = posix_openpt(O_RDWR | O_NOCTTY);
  int n = -1, lock = -1;
  char name[64];
  printf("master isatty=%d\n", isatty(m));
  ioctl(m, TIOCGPTN, &n);
  ioctl(m, TIOCGPTLCK, &lock);
  snprintf(name, sizeof name, "/dev/pts/%d", n);
  printf("ptsname matches TIOCGPTN: %d, locked=%d\n", strcmp(ptsname(m), name) == 0, lock);
  s = open(ptsname(m), O_RDWR | O_NOCTTY);
  printf("open while locked: %d %s\n", s, strerror(errno));
  unlockpt(m);
  s = open(ptsname(m), O_RDWR | O_NOCTTY);
  struct termios t;
  tcgetattr(s, &t);
  printf("slave: iflag=%o oflag=%o cflag=%o lflag=%o ispeed=%d\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag, (int)cfgetispeed(&t));
  printf("cc:");
  for (int i = 0; i < 17; i++) printf(" %d", t.c_cc[i]);
  printf("\n");
  struct stat st, mst;
  fstat(s, &st);
  fstat(m, &mst);
  printf("slave stat: chr=%d mode=%o major=%d; master: chr=%d mode=%o rdev=%d:%d\n", S_ISCHR(st.st_mode), st.st_mode & 07777,
         major(st.st_rdev), S_ISCHR(mst.st_mode), mst.st_mode & 07777, major(mst.st_rdev), minor(mst.st_rdev));
  int ptn;
  int r = ioctl(s, TIOCGPTN, &ptn);
  printf("TIOCGPTN on slave: %d %s\n", r, strerror(errno));
  int fd = open("/etc/hostname", O_RDONLY);
  r = isatty(fd);
  printf("regular file isatty=%d %s\n", r, strerror(errno));
  close(fd);
  int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  struct stat pst;
  fstat(peer, &pst);
  printf("TIOCGPTPEER same node: %d\n", pst.st_rdev == st.st_rdev && pst.st_ino == st.st_ino);
  close(peer);
  close(s);
  close(m);
}

static void canonical(void) {
  int s, m = newpty(&s);
  char buf[256];
  /* ERASE removes "c", KILL drops "xyz", CR becomes NL (ICRNL). */
  write(m, "abc\177d\r", 6);
  int n = read(s, buf, sizeof buf);
  show("line", buf, n);
  drain(m, "echo");
  write(m, "xyz\025ok\n", 7);
  n = read(s, buf, sizeof buf);
  show("after kill", buf, n);
  drain(m, "echo");
  /* A control character echoes as ^X and erases two columns. */
  write(m, "a\001\177\n", 4);
  n = read(s, buf, sizeof buf);
  show("ctl", buf, n);
  drain(m, "echo");
  /* Word erase (^W), EOF with text, EOF on an empty line. */
  write(m, "one two\027three\004", 14);
  n = read(s, buf, sizeof buf);
  show("werase+eof", buf, n);
  write(m, "\004", 1);
  n = read(s, buf, sizeof buf);
  show("eof", buf, n);
  drain(m, "echo");
  /* A read shorter than the line leaves the rest; FIONREAD counts complete lines only. */
  write(m, "12345\npartial", 13);
  struct pollfd p = {s, POLLIN, 0};
  poll(&p, 1, 1000); /* Linux hands master writes to the line discipline asynchronously. */
  int avail = -1;
  ioctl(s, FIONREAD, &avail);
  printf("FIONREAD=%d\n", avail);
  n = read(s, buf, 3);
  show("short", buf, n);
  n = read(s, buf, sizeof buf);
  show("rest", buf, n);
  drain(m, "echo");
  /* Output: ONLCR turns \n into \r\n; without OPOST bytes pass unchanged. */
  write(s, "out\n", 4);
  drain(m, "onlcr");
  struct termios t;
  tcgetattr(s, &t);
  t.c_oflag &= ~OPOST;
  tcsetattr(s, TCSANOW, &t);
  write(s, "raw\n", 4);
  drain(m, "no opost");
  /* No ECHO but ECHONL: only the newline echoes. */
  t.c_lflag &= ~ECHO;
  t.c_lflag |= ECHONL;
  t.c_oflag |= OPOST;
  tcsetattr(s, TCSANOW, &t);
  write(m, "secret\n", 7);
  n = read(s, buf, sizeof buf);
  show("noecho", buf, n);
  drain(m, "echonl");
  close(s);
  close(m);
}

static void rawmode(void) {
  int s, m = newpty(&s);
  char buf[64];
  struct termios t;
  tcgetattr(s, &t);
  cfmakeraw(&t);
  t.c_cc[VMIN] = 3;
  t.c_cc[VTIME] = 0;
  tcsetattr(s, TCSANOW, &t);
  write(m, "ab", 2);
  struct pollfd p = {s, POLLIN, 0};
  printf("poll with 2 of VMIN 3: %d\n", poll(&p, 1, 50));
  write(m, "c\rd", 3);
  int n = read(s, buf, sizeof buf);
  show("raw read", buf, n);
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 1;
  tcsetattr(s, TCSANOW, &t);
  n = read(s, buf, sizeof buf);
  printf("VTIME timeout read=%d\n", n);
  t.c_cc[VTIME] = 0;
  tcsetattr(s, TCSANOW, &t);
  n = read(s, buf, sizeof buf);
  printf("VMIN 0 VTIME 0 read=%d\n", n);
  drain(m, "raw echo");
  /* TCSAFLUSH drops unread input. */
  write(m, "zz", 2);
  poll(&p, 1, 1000);
  t.c_cc[VMIN] = 1;
  tcsetattr(s, TCSAFLUSH, &t);
  int avail = -1;
  ioctl(s, FIONREAD, &avail);
  printf("after TCSAFLUSH FIONREAD=%d\n", avail);
  close(s);
  close(m);
}

static volatile sig_atomic_t winch, intr;
static void on_winch(int sig) { (void)sig; winch++; }
static void on_int(int sig) { (void)sig; intr++; }

/* A child in its own session with the slave as controlling terminal. */
static void session(void) {
  int s, m = newpty(&s);
  int sync[2];
  pipe(sync);
  struct winsize ws = {0};
  ioctl(m, TIOCGWINSZ, &ws);
  printf("initial size %dx%d\n", ws.ws_row, ws.ws_col);
  pid_t c = fork();
  if (c == 0) {
    close(m);
    setsid();
    int r = ioctl(s, TIOCGPGRP, &(int){0});
    printf("child: TIOCGPGRP before TIOCSCTTY: %d %s\n", r, strerror(errno));
    if (ioctl(s, TIOCSCTTY, 0) < 0) { perror("TIOCSCTTY"); _exit(1); }
    int t = open("/dev/tty", O_RDWR);
    printf("child: /dev/tty opens=%d, fg is me=%d, sid is me=%d\n", t >= 0, tcgetpgrp(s) == getpid(), tcgetsid(s) == getpid());
    signal(SIGWINCH, on_winch);
    signal(SIGINT, on_int);
    fflush(stdout);
    write(sync[1], "r", 1);
    char buf[64];
    /* The parent resizes, then types ^C and a line. */
    int n;
    while ((n = read(s, buf, sizeof buf)) < 0 && errno == EINTR) {}
    struct winsize w;
    ioctl(s, TIOCGWINSZ, &w);
    printf("child: winch=%d size=%dx%d intr=%d line=%.*s", winch, w.ws_row, w.ws_col, intr, n, buf);
    /* A background group reading its terminal is stopped by SIGTTIN. */
    pid_t bg = fork();
    if (bg == 0) {
      setpgid(0, 0);
      read(s, buf, 1);
      _exit(0);
    }
    setpgid(bg, bg);
    int st;
    waitpid(bg, &st, WUNTRACED);
    printf("child: background reader stopped=%d by %d\n", WIFSTOPPED(st), WSTOPSIG(st));
    kill(bg, SIGKILL);
    waitpid(bg, &st, 0);
    /* With SIGTTIN ignored the read fails with EIO. */
    signal(SIGTTOU, SIG_IGN);
    bg = fork();
    if (bg == 0) {
      setpgid(0, 0);
      signal(SIGTTIN, SIG_IGN);
      r = read(s, buf, 1);
      printf("child: ignored SIGTTIN read=%d %s\n", r, strerror(errno));
      _exit(0);
    }
    setpgid(bg, bg);
    waitpid(bg, &st, 0);
    /* tcsetpgrp to another group of the session and back. */
    bg = fork();
    if (bg == 0) {
      setpgid(0, 0);
      pause();
      _exit(0);
    }
    setpgid(bg, bg);
    r = tcsetpgrp(s, bg);
    printf("child: tcsetpgrp(bg)=%d fg is bg=%d\n", r, tcgetpgrp(s) == bg);
    r = tcsetpgrp(s, getpid());
    printf("child: tcsetpgrp(me)=%d fg is me=%d\n", r, tcgetpgrp(s) == getpid());
    r = tcsetpgrp(s, 1);
    printf("child: tcsetpgrp(1)=%d %s\n", r, strerror(errno));
    kill(bg, SIGKILL);
    waitpid(bg, &st, 0);
    fflush(stdout);
    write(sync[1], "d", 1);
    /* Wait for the hangup. */
    signal(SIGHUP, SIG_DFL);
    pause();
    _exit(0);
  }
  char x;
  read(sync[0], &x, 1);
  ws.ws_row = 24;
  ws.ws_col = 80;
  ioctl(m, TIOCSWINSZ, &ws);
  write(m, "\003", 1);
  write(m, "hello\n", 6);
  read(sync[0], &x, 1);
  drain(m, "session echo");
  close(m);
  int st;
  waitpid(c, &st, 0);
  printf("after master close: child signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
  char buf[8];
  int r = read(s, buf, sizeof buf);
  printf("slave read after hangup=%d\n", r);
  r = write(s, "x", 1);
  printf("slave write after hangup=%d %s\n", r, strerror(errno));
  struct pollfd p = {s, POLLIN | POLLOUT, 0};
  poll(&p, 1, 0);
  printf("slave poll after hangup=%x\n", p.revents);
  r = tcgetattr(s, &(struct termios){0});
  printf("slave tcgetattr after hangup=%d %s\n", r, strerror(errno));
  close(s);
}

static void closing(void) {
  int s, m = newpty(&s);
  struct pollfd p = {m, POLLIN | POLLOUT, 0};
  poll(&p, 1, 0);
  printf("master poll fresh=%x\n", p.revents);
  write(s, "bye\n", 4);
  close(s);
  poll(&p, 1, 0);
  printf("master poll after slave close=%x\n", p.revents);
  char buf[16];
  int n = read(m, buf, sizeof buf);
  show("master read", buf, n);
  n = read(m, buf, sizeof buf);
  printf("master read again=%d %s\n", n, strerror(errno));
  close(m);
  int a, b;
  char name[64];
  struct winsize ws = {.ws_row = 10, .ws_col = 40};
  struct termios t;
  memset(&t, 0, sizeof t);
  if (openpty(&a, &b, name, NULL, &ws) < 0) { perror("openpty"); return; }
  ioctl(b, TIOCGWINSZ, &ws);
  printf("openpty: name ok=%d size=%dx%d ttyname ok=%d\n", strncmp(name, "/dev/pts/", 9) == 0, ws.ws_row, ws.ws_col,
         strcmp(ttyname(b), name) == 0);
  close(a);
  close(b);
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  printf("== defaults\n");
  defaults();
  printf("== canonical\n");
  canonical();
  printf("== raw\n");
  rawmode();
  printf("== session\n");
  session();
  printf("== closing\n");
  closing();
  return 0;
}
