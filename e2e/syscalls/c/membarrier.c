/*
 * membarrier(2): the commands' rules (registration before a private
 * expedited barrier, registrations per address space: shared by threads,
 * kept or not by fork as Linux does, dropped by exec) and errors, compared
 * with a native run. QUERY is printed without the RSEQ commands, which the
 * sandbox does not have (rseq(2) is ENOSYS there).
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "say.h"

#ifndef MEMBARRIER_CMD_GET_REGISTRATIONS
#define MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9) /* Linux 6.3; older headers lack it */
#endif

static long mb(int cmd, unsigned flags) { return syscall(SYS_membarrier, cmd, flags, 0); }

static void *thread_main(void *arg) {
  (void)arg;
  say("thread: registrations %s, private expedited %s\n", result(mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0)), result(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0)));
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1) {
    say("after exec: registrations %s, private expedited %s\n", result(mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0)), result(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0)));
    return 0;
  }
  long q = mb(MEMBARRIER_CMD_QUERY, 0);
  say("query without rseq: %ld\n", q & ~(long)(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ));
  say("query flags 1: %s, command 3: %s, command 1024: %s, -1: %s\n", result(mb(MEMBARRIER_CMD_QUERY, 1)), result(mb(3, 0)), result(mb(1024, 0)), result(mb(-1, 0)));
  say("global: %s, global expedited: %s\n", result(mb(MEMBARRIER_CMD_GLOBAL, 0)), result(mb(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0)));
  say("unregistered: private expedited %s, sync core %s, registrations %s\n", result(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0)),
      result(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0)), result(mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0)));
  say("register private expedited: %s\n", result(mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0)));
  say("again: %s\n", result(mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0)));
  say("private expedited: %s, flags 1: %s\n", result(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0)), result(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 1)));
  say("registrations: %s\n", result(mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0)));
  say("sync core still: %s\n", result(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0)));
  say("register sync core: %s\n", result(mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0)));
  say("sync core: %s\n", result(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0)));
  say("register global expedited: %s\n", result(mb(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0)));
  say("registrations: %s\n", result(mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0)));
  pthread_t th;
  pthread_create(&th, NULL, thread_main, NULL);
  pthread_join(th, NULL);
  pid_t c = fork();
  if (c == 0) {
    say("forked child: registrations %s, private expedited %s\n", result(mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0)), result(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0)));
    execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
    _exit(99);
  }
  waitpid(c, NULL, 0);
  return 0;
}
