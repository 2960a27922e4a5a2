/*
 * privileged [PATH...]: attempts host-level privileged operations and prints
 * one line per attempt: "<name> <return value> <errno name>". Every attempt
 * must fail inside the sandbox. Each PATH is opened read-only ("open:PATH");
 * if one opens, its first bytes are printed after "READ".
 *
 * Safety interlock: the calls would really act on a host kernel (reboot!), so
 * the program refuses to run unless uname reports the sandbox release 4.4.0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static void show(const char *name, long rc) {
  printf("%s %ld %s\n", name, rc, rc < 0 ? strerrorname_np(errno) : "OK");
  fflush(stdout);
}

int main(int argc, char **argv) {
  struct utsname u;
  if (uname(&u) != 0 || strcmp(u.release, "4.4.0") != 0) {
    fprintf(stderr, "privileged: refusing to run outside the sandbox (release %s)\n", u.release);
    return 2;
  }

  errno = 0;
  show("reboot", syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
                         LINUX_REBOOT_CMD_CAD_OFF, NULL));
  show("kexec_load", syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL));
  static const char image[64] = "\177ELF";
  show("init_module", syscall(SYS_init_module, image, sizeof image, ""));
  show("mount", mount("none", "/", "tmpfs", 0, ""));
  show("unshare", unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWPID));
  int nsfd = open("/proc/1/ns/mnt", O_RDONLY);
  show("setns", setns(nsfd >= 0 ? nsfd : 0, 0));
  union bpf_attr battr;
  memset(&battr, 0, sizeof battr);
  battr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  show("bpf", syscall(SYS_bpf, BPF_PROG_LOAD, &battr, sizeof battr));
  struct perf_event_attr pattr;
  memset(&pattr, 0, sizeof pattr);
  pattr.size = sizeof pattr;
  pattr.type = PERF_TYPE_HARDWARE;
  pattr.config = PERF_COUNT_HW_CPU_CYCLES;
  show("perf_event_open", syscall(SYS_perf_event_open, &pattr, 0, -1, -1, 0UL));
  show("ptrace_traceme", ptrace(PTRACE_TRACEME, 0, NULL, NULL));
  show("ptrace_attach_1", ptrace(PTRACE_ATTACH, 1, NULL, NULL));

  for (int i = 1; i < argc; i++) {
    char name[512];
    snprintf(name, sizeof name, "open:%s", argv[i]);
    int fd = open(argv[i], O_RDONLY);
    show(name, fd);
    if (fd >= 0) {
      char buf[64];
      ssize_t n = read(fd, buf, sizeof buf - 1);
      buf[n > 0 ? n : 0] = 0;
      printf("READ %s\n", buf);
    }
  }
  return 0;
}
