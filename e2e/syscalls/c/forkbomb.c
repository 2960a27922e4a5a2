/*
 * forkbomb [NPROC UID]: forks children that wait in pause() until fork
 * fails, prints "forked N, then <errno name>", then kills and reaps them.
 * With NPROC UID it first sets RLIMIT_NPROC to NPROC and becomes UID (real,
 * effective and saved), so the per-user limit applies. At most MAX
 * children: past that it stops and says so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "say.h"

#define MAX 20000

static pid_t kids[MAX];

int main(int argc, char **argv) {
  if (argc == 3) {
    struct rlimit l = {atol(argv[1]), atol(argv[1])};
    uid_t uid = atoi(argv[2]);
    if (setrlimit(RLIMIT_NPROC, &l) != 0 || setresuid(uid, uid, uid) != 0) {
      say("setup failed: errno %d\n", errno);
      return 2;
    }
  }
  int n = 0;
  int err = 0;
  while (n < MAX) {
    pid_t p = fork();
    if (p == 0) {
      pause();
      _exit(0);
    }
    if (p < 0) {
      err = errno;
      break;
    }
    kids[n++] = p;
  }
  say("forked %d, then %s\n", n, err == EAGAIN ? "EAGAIN" : err == 0 ? "no failure" : "another errno");
  for (int i = 0; i < n; i++) kill(kids[i], SIGKILL);
  for (int i = 0; i < n; i++) waitpid(kids[i], NULL, 0);
  return 0;
}
