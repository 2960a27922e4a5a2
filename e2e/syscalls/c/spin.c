/*
 * A child that computes forever without a single syscall must not stop the
 * rest of the sandbox: the parent's 200 ms sleep ends on time, its signal
 * kills the child, and a pipe between two other processes keeps flowing.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t spinner = fork();
  if (spinner == 0) {
    for (volatile unsigned long i = 0;; i++) {
    }
  }
  double t0 = now();
  struct timespec d = {0, 200 * 1000 * 1000};
  nanosleep(&d, NULL);
  double slept = now() - t0;
  printf("slept 200 ms: %s\n", slept >= 0.2 && slept < 2.0 ? "on time" : "late");
  int p[2];
  pipe(p);
  pid_t writer = fork();
  if (writer == 0) {
    for (int i = 0; i < 100; i++) write(p[1], "x", 1);
    _exit(0);
  }
  close(p[1]);
  char c;
  int n = 0;
  while (read(p[0], &c, 1) == 1) n++;
  printf("pipe bytes %d\n", n);
  kill(spinner, SIGKILL);
  int st;
  waitpid(spinner, &st, 0);
  waitpid(writer, NULL, 0);
  printf("spinner killed by %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
  return 0;
}
