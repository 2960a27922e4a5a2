#define _GNU_SOURCE
#include <signal.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <errno.h>
#include <ucontext.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <sys/time.h>

static volatile sig_atomic_t got, gotval, onalt;
static sigjmp_buf jb;
static char altstk[65536];

static void h(int sig, siginfo_t *si, void *uc) {
  ucontext_t *u = uc;
  got = sig;
  gotval = si->si_value.sival_int;
  onalt = ((char *)&sig >= altstk && (char *)&sig < altstk + sizeof altstk);
  (void)u;
}
static void segv(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  printf("segv addr=%p code=%d\n", si->si_addr, si->si_code);
  siglongjmp(jb, 1);
}
static void alrm(int s) { got = s; }

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  struct sigaction sa = {0};
  sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, 0);
  sigaction(SIGRTMIN, &sa, 0);
  raise(SIGUSR1);
  printf("raise: got=%d\n", got);
  union sigval v = {.sival_int = 77};
  sigqueue(getpid(), SIGRTMIN, v);
  printf("sigqueue: got=%d val=%d\n", got, gotval);
  stack_t ss = {.ss_sp = altstk, .ss_size = sizeof altstk};
  sigaltstack(&ss, 0);
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGUSR2, &sa, 0);
  raise(SIGUSR2);
  printf("altstack: got=%d onalt=%d\n", got, onalt);
  sa.sa_sigaction = segv; sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  if (!sigsetjmp(jb, 1)) *(volatile int *)0x10 = 1;
  printf("after segv\n");
  signal(SIGALRM, alrm);
  alarm(1);
  int r = pause();
  printf("pause=%d errno=%d got=%d\n", r, errno, got);
  sigset_t m; sigemptyset(&m); sigaddset(&m, SIGUSR1);
  sigprocmask(SIG_BLOCK, &m, 0);
  raise(SIGUSR1);
  siginfo_t si;
  int s = sigwaitinfo(&m, &si);
  printf("sigwaitinfo=%d code=%d pid_ok=%d\n", s, si.si_code, si.si_pid == getpid());
  int fd = signalfd(-1, &m, 0);
  kill(getpid(), SIGUSR1);
  struct signalfd_siginfo fi;
  ssize_t n = read(fd, &fi, sizeof fi);
  printf("signalfd read=%zd signo=%u pid_ok=%d\n", n, fi.ssi_signo, fi.ssi_pid == (unsigned)getpid());
  struct timespec ts = {0, 50000000};
  s = sigtimedwait(&m, &si, &ts);
  printf("sigtimedwait=%d errno=%d\n", s, errno);
  timer_t tid; struct sigevent ev = {0};
  ev.sigev_notify = SIGEV_SIGNAL; ev.sigev_signo = SIGUSR1; ev.sigev_value.sival_int = 5;
  timer_create(CLOCK_MONOTONIC, &ev, &tid);
  struct itimerspec its = {{0, 0}, {0, 20000000}};
  timer_settime(tid, 0, &its, 0);
  s = sigwaitinfo(&m, &si);
  printf("timer: sig=%d code=%d val=%d\n", s, si.si_code, si.si_value.sival_int);
  pid_t c = fork();
  if (c == 0) { pause(); _exit(0); }
  kill(c, SIGSTOP);
  int st; waitpid(c, &st, WUNTRACED);
  printf("child stopped=%d sig=%d\n", WIFSTOPPED(st), WIFSTOPPED(st) ? WSTOPSIG(st) : -1);
  kill(c, SIGTERM); kill(c, SIGCONT);
  waitpid(c, &st, 0);
  printf("child signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
  /* SA_RESTART: wait4 restarts after the handler; without it, EINTR */
  sa.sa_handler = alrm; sa.sa_flags = SA_RESTART; sigaction(SIGALRM, &sa, 0);
  c = fork();
  if (c == 0) { usleep(200000); _exit(3); }
  struct itimerval it = {{0,0},{0,50000}}; setitimer(ITIMER_REAL, &it, 0);
  got = 0;
  r = waitpid(c, &st, 0);
  printf("restart wait=%d got=%d status=%d\n", r == c, got, WEXITSTATUS(st));
  sa.sa_flags = 0; sigaction(SIGALRM, &sa, 0);
  c = fork();
  if (c == 0) { usleep(200000); _exit(0); }
  setitimer(ITIMER_REAL, &it, 0);
  r = waitpid(c, &st, 0);
  printf("norestart wait=%d errno=%d\n", r, errno);
  waitpid(c, &st, 0);
  return 0;
}
