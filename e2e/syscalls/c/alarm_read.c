/* SIGALRM (without SA_RESTART) interrupts a blocking read with EINTR. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_alarm(int sig) { (void)sig; }

int main(void) {
  int p[2];
  char c;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  if (pipe(p) != 0) return 1;
  alarm(1);
  ssize_t n = read(p[0], &c, 1);
  printf("read=%zd errno=%s\n", n, n < 0 ? strerror(errno) : "-");
  return 0;
}
