/*
 * seccomp: installs seccomp filters and prints what each step sees, to be
 * compared with Linux byte for byte. Checks: the mode in PR_GET_SECCOMP and
 * /proc/self/status; EACCES without no_new_privs or CAP_SYS_ADMIN; EINVAL
 * for programs seccomp's checker refuses; GET_ACTION_AVAIL; the actions
 * ERRNO (capped at 4095), TRAP (SIGSYS siginfo), TRACE without a tracer,
 * LOG, KILL_THREAD (only the thread), KILL_PROCESS (SIGSYS); a 64-bit
 * argument comparison; precedence across stacked filters; inheritance by
 * fork and across exec; strict mode. Only lowers its own privileges.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "say.h"

#define NR offsetof(struct seccomp_data, nr)
#define ARCH offsetof(struct seccomp_data, arch)
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)

static long rc(long r) { return r < 0 ? -errno : r; }

static long install(struct sock_filter *f, unsigned short len, unsigned flags) {
  struct sock_fprog p = {len, f};
  return rc(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &p));
}

static void status_mode(const char *who) {
  char buf[4096];
  FILE *f = fopen("/proc/self/status", "r");
  while (f && fgets(buf, sizeof buf, f)) {
    if (strncmp(buf, "Seccomp:", 8) == 0) say("%s %s", who, buf);
  }
  if (f) fclose(f);
}

static void on_sigsys(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  say("SIGSYS %d code=%d errno=%d syscall=%d arch=%x\n", sig, si->si_code, si->si_errno, si->si_syscall, si->si_arch);
}

/* The filter most steps run under: errno for getpid, trap for getppid, trace for getpgrp, log for getuid,
 * kill-thread for sched_yield, kill-process for getsid, EACCES for fchmod(fd, 0400) only. */
static struct sock_filter main_filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARCH),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 5000),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | 7),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpgrp, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getuid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sched_yield, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_THREAD),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getsid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fchmod, 0, 5),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(1)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0400, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

static void *yield_thread(void *arg) {
  (void)arg;
  syscall(SYS_sched_yield);
  say("thread survived sched_yield\n");
  return NULL;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "after-exec") == 0) {
    say("after exec: mode %ld getpid %ld\n", rc(prctl(PR_GET_SECCOMP)), rc(syscall(SYS_getpid)));
    status_mode("after exec");
    return 0;
  }
  int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  say("mode %ld\n", rc(prctl(PR_GET_SECCOMP)));
  status_mode("start");

  struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  /* Without no_new_privs, only CAP_SYS_ADMIN may install a filter. */
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  syscall(SYS_capget, &h, d);
  d[0].effective &= ~(1u << CAP_SYS_ADMIN);
  syscall(SYS_capset, &h, d);
  say("no nnp, no SYS_ADMIN: %ld\n", install(allow, 1, 0));
  say("nnp %ld\n", rc(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)));

  /* Strict mode: read, write, exit and rt_sigreturn only; anything else is SIGKILL. */
  pid_t pid = fork();
  if (pid == 0) {
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL) != 0) _exit(9);
    say("strict: write works\n");
    syscall(SYS_getpid);
    syscall(SYS_exit, 0);
  }
  int ws;
  waitpid(pid, &ws, 0);
  say("strict child killed %d sig %d\n", WIFSIGNALED(ws), WIFSIGNALED(ws) ? WTERMSIG(ws) : -1);

  struct sock_filter bad_op[] = {BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_filter bad_load[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_filter unaligned[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_filter far_jump[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_filter no_ret[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR), BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR)};
  struct sock_filter mem_unset[] = {BPF_STMT(BPF_LD | BPF_MEM, 3), BPF_STMT(BPF_RET | BPF_A, 0)};
  struct sock_filter div0[] = {BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_A, 0)};
  say("empty %ld bad opcode %ld load past data %ld unaligned %ld jump out %ld no return %ld unset memory %ld div0 %ld\n",
      install(allow, 0, 0), install(bad_op, 2, 0), install(bad_load, 2, 0), install(unaligned, 2, 0), install(far_jump, 2, 0),
      install(no_ret, 2, 0), install(mem_unset, 2, 0), install(div0, 2, 0));
  say("unknown flag %ld\n", install(allow, 1, 1u << 20));

  unsigned actions[] = {SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO,
                        SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW, 0x12340000};
  for (unsigned i = 0; i < sizeof actions / sizeof actions[0]; i++) {
    say("action %x available %ld\n", actions[i], rc(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &actions[i])));
  }

  struct sigaction sa = {0};
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &sa, NULL);
  say("install %ld\n", install(main_filter, sizeof main_filter / sizeof main_filter[0], 0));
  say("mode %ld\n", rc(prctl(PR_GET_SECCOMP)));
  status_mode("filtered");
  say("getpid %ld\n", rc(syscall(SYS_getpid)));
  say("getppid %ld\n", rc(syscall(SYS_getppid)));
  say("getpgrp %ld\n", rc(syscall(SYS_getpgrp)));
  say("getuid %ld\n", rc(syscall(SYS_getuid)));
  int fd = open("/proc/self/exe", O_RDONLY);
  say("fchmod 0400 %ld, fchmod 0400 with a high word %ld, fchmod 0500 %ld\n", rc(syscall(SYS_fchmod, -1, 0400)),
      rc(syscall(SYS_fchmod, -1, 0x100000000L | 0400)), rc(syscall(SYS_fchmod, -1, 0500)));
  close(fd);

  /* A newer filter's weaker action does not override an older, stronger one; a stronger one wins. */
  struct sock_filter errno_all_getpid[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 3),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 4),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  say("second filter %ld\n", install(errno_all_getpid, 6, SECCOMP_FILTER_FLAG_TSYNC));
  say("getpid %ld\n", rc(syscall(SYS_getpid)));
  say("getppid %ld\n", rc(syscall(SYS_getppid)));

  pthread_t th;
  pthread_create(&th, NULL, yield_thread, NULL);
  pthread_join(th, NULL);
  say("main thread after the killed thread\n");

  pid = fork();
  if (pid == 0) {
    say("child getpid %ld\n", rc(syscall(SYS_getpid)));
    syscall(SYS_getsid, 0);
    _exit(0);
  }
  waitpid(pid, &ws, 0);
  say("child killed %d sig %d\n", WIFSIGNALED(ws), WIFSIGNALED(ws) ? WTERMSIG(ws) : -1);

  pid = fork();
  if (pid == 0) {
    char *args[] = {argv[0], "after-exec", NULL};
    fexecve(self, args, environ);
    _exit(127);
  }
  waitpid(pid, &ws, 0);
  say("exec child exit %d\n", WEXITSTATUS(ws));

  pid = fork();
  if (pid == 0) {
    say("strict over filters %ld\n", rc(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL)));
    _exit(3);
  }
  waitpid(pid, &ws, 0);
  say("strict over filters: exit %d\n", WEXITSTATUS(ws));
  return 0;
}
