/*
 * ptrace_floor PROGRAM ARGS...: runs PROGRAM under the leanest tracer the
 * ptrace platform allows, as the syscall benchmark's floor: what one
 * emulated syscall costs on this host before any sandbox logic. Tracer and
 * tracee are pinned to the CPU the tracer starts on (as the Sentry pins
 * itself), and every syscall stops under PTRACE_SYSEMU. getppid is
 * emulated the way tsvisor does it (PTRACE_GETREGS, then PTRACE_POKEUSER of
 * rax); any other syscall (libc start-up, the result's write) is run by the
 * host: the tracer rewinds to the syscall instruction and re-issues it
 * under PTRACE_SYSCALL. Exits with the program's status, and says on stderr
 * how many syscalls it emulated and how many the host ran.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(125);
}

/* Resumes with `request` and waits for the next stop; returns 0 once the tracee has exited (status in *st). */
static int step(pid_t pid, int request, int *st) {
  if (ptrace(request, pid, 0, 0) != 0) die("ptrace resume");
  if (waitpid(pid, st, __WALL) != pid) die("waitpid");
  return WIFSTOPPED(*st);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: ptrace_floor PROGRAM ARGS...\n");
    return 125;
  }
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(sched_getcpu(), &cpus);
  if (sched_setaffinity(0, sizeof cpus, &cpus) != 0) die("sched_setaffinity");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    execv(argv[1], argv + 1);
    _exit(127);
  }
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) die("initial stop");
  if (ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC) != 0) die("PTRACE_SETOPTIONS");
  /* Up to the exec: the child's own raise and execve run untraced. */
  if (!step(pid, PTRACE_CONT, &st)) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  struct user_regs_struct regs;
  long emulated = 0, hosted = 0;
  while (step(pid, PTRACE_SYSEMU, &st)) {
    if (WSTOPSIG(st) != (SIGTRAP | 0x80)) continue; /* no signals expected: drop anything else */
    if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0) die("PTRACE_GETREGS");
    if (regs.orig_rax == SYS_getppid) {
      if (ptrace(PTRACE_POKEUSER, pid, offsetof(struct user_regs_struct, rax), (void *)(long)getpid()) != 0) die("PTRACE_POKEUSER");
      emulated++;
      continue;
    }
    /* SYSEMU skipped it: back to the syscall instruction, and run it for real (entry stop, then exit stop). */
    regs.rip -= 2;
    regs.rax = regs.orig_rax;
    if (ptrace(PTRACE_SETREGS, pid, 0, &regs) != 0) die("PTRACE_SETREGS");
    hosted++;
    if (!step(pid, PTRACE_SYSCALL, &st) || !step(pid, PTRACE_SYSCALL, &st)) break;
  }
  fprintf(stderr, "ptrace_floor: %ld getppid emulated, %ld syscalls run by the host\n", emulated, hosted);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
