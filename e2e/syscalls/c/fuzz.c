// Calls every syscall number with random arguments (a fixed seed), each
// number in a child of its own that an alarm ends if a call blocks; the
// numbers whose effects would end or derail the fuzzer itself are left out.
// Prints how many calls were made; the test looks at the sandbox's debug
// log for handler bugs. Usage: fuzz SEED CALLS_PER_NUMBER
// Only ever run in a sandbox: as root on a host it could set the clock,
// mount, or load modules.
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "rng.h"

static const long skipped[] = {
    SYS_exit, SYS_exit_group, SYS_kill, SYS_tkill, SYS_tgkill, SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo,
    SYS_pidfd_send_signal, SYS_fork, SYS_vfork, SYS_clone, SYS_clone3, SYS_execve, SYS_execveat,
    SYS_rt_sigreturn, SYS_arch_prctl, SYS_munmap, SYS_mmap, SYS_mremap, SYS_mprotect, SYS_brk, SYS_madvise,
    SYS_seccomp, SYS_prctl, SYS_setrlimit, SYS_prlimit64, SYS_set_tid_address, SYS_set_robust_list,
    SYS_rseq, SYS_vhangup, SYS_setsid, SYS_setpgid, SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setregid,
    SYS_setresuid, SYS_setresgid, SYS_setfsuid, SYS_setfsgid, SYS_capset, SYS_setgroups, SYS_close,
    SYS_close_range, SYS_dup2, SYS_dup3, SYS_shmdt, SYS_remap_file_pages, SYS_mbind, SYS_pkey_mprotect,
    SYS_userfaultfd, SYS_sigaltstack, SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_setitimer, SYS_alarm,
    SYS_timer_create, SYS_unshare, SYS_setns, SYS_chroot, SYS_pivot_root, SYS_reboot, SYS_ptrace,
    SYS_process_vm_writev, SYS_sched_setaffinity, SYS_sched_setscheduler, SYS_sched_setattr, SYS_personality,
};


static unsigned char *scratch;

// Small numbers, -1, sizes, flags, pointers into a scratch area, NULL, wild values.
static long arg(void) {
  switch (rng_next() % 8) {
  case 0: return (long)(rng_next() % 8);
  case 1: return -1;
  case 2: return (long)(rng_next() % 70000);
  case 3: return (long)(1UL << (rng_next() % 64));
  case 4: return (long)(scratch + (rng_next() % 8192));
  case 5: return 0;
  case 6: return (long)(scratch + 4096 - (rng_next() % 64));
  default: return (long)rng_next();
  }
}

static int is_skipped(long nr) {
  for (size_t i = 0; i < sizeof skipped / sizeof *skipped; i++)
    if (skipped[i] == nr) return 1;
  return 0;
}

int main(int argc, char **argv) {
  rng_state = argc > 1 ? strtoull(argv[1], 0, 0) : 1;
  int per = argc > 2 ? atoi(argv[2]) : 50;
  // Two pages of scratch and a guard page after them: pointers near the end fault part-way.
  scratch = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (scratch == MAP_FAILED) return 1;
  munmap(scratch + 2 * 4096, 4096);
  long calls = 0;
  for (long nr = 0; nr < 460; nr++) {
    if (is_skipped(nr)) continue;
    uint64_t seed = rng_state;
    pid_t child = fork();
    if (child < 0) return 2;
    if (child == 0) {
      int null = open("/dev/null", O_RDWR);
      for (int fd = 0; fd < 3; fd++) dup2(null, fd);
      alarm(1);
      rng_state = seed ^ (uint64_t)nr * 0x9e3779b97f4a7c15ULL;
      for (int i = 0; i < per; i++) {
        for (int j = 0; j < 8192; j++) scratch[j] = (unsigned char)rng_next();
        long a[6];
        for (int k = 0; k < 6; k++) a[k] = arg();
        syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
      }
      _exit(0);
    }
    int status;
    while (waitpid(child, &status, 0) < 0) {
    }
    calls += per;
    rng_next();
  }
  printf("%ld calls\n", calls);
  return 0;
}
