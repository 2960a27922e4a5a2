/*
 * NUMA memory policies on a one-node machine: set_mempolicy and
 * get_mempolicy (modes, flags, nodemasks, MPOL_F_NODE/ADDR/MEMS_ALLOWED),
 * mbind on part of a mapping (the areas it splits and merges back in
 * /proc/self/maps), inheritance by threads, fork and exec, and Linux's
 * errors; compared with a native run.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "say.h"

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4
#define MPOL_MF_STRICT 1
#define MPOL_MF_MOVE 2
#define MPOL_MF_MOVE_ALL 4

static unsigned long mask[17];

static long setp(int mode, unsigned long m0, unsigned long maxnode) {
  mask[0] = m0;
  return syscall(SYS_set_mempolicy, mode, m0 == (unsigned long)-1 ? NULL : mask, maxnode);
}

/* get_mempolicy's result, mode and first mask word as text. */
static const char *getp(void *addr, unsigned long flags) {
  static char b[4][64];
  static int next;
  char *out = b[next++ % 4];
  int mode = -1;
  unsigned long m[2] = {99, 99};
  long r = syscall(SYS_get_mempolicy, &mode, m, 128, addr, flags);
  if (r < 0) snprintf(out, 64, "%s", result(r));
  else snprintf(out, 64, "mode %d mask %#lx", mode, m[0]);
  return out;
}

/* A set_mempolicy, then what get_mempolicy reports after it. */
static const char *set_then_get(int mode, unsigned long m0, unsigned long maxnode) {
  static char b[2][96];
  static int next;
  char *out = b[next++ % 2];
  long r = setp(mode, m0, maxnode);
  snprintf(out, 96, "%s -> %s", result(r), getp(NULL, 0));
  return out;
}

static int maps_lines(char *start, char *end) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long s, e;
    if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < (uintptr_t)end && e > (uintptr_t)start) n++;
  }
  fclose(f);
  return n;
}

static void *thread_main(void *arg) {
  (void)arg;
  say("thread inherits: %s\n", getp(NULL, 0));
  say("thread sets its own: %s\n", set_then_get(MPOL_LOCAL, 0, 65));
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1) {
    say("after exec: %s\n", getp(NULL, 0));
    return 0;
  }
  say("default: %s\n", getp(NULL, 0));
  say("bind {0}: %s\n", set_then_get(MPOL_BIND, 1, 65));
  say("F_NODE outside interleave: %s\n", getp(NULL, MPOL_F_NODE));
  say("interleave {0}: %s\n", set_then_get(MPOL_INTERLEAVE, 1, 65));
  say("next interleave node: %s\n", getp(NULL, MPOL_F_NODE));
  say("preferred {0}: %s\n", set_then_get(MPOL_PREFERRED, 1, 65));
  say("preferred {}: %s\n", set_then_get(MPOL_PREFERRED, 0, 65));
  say("local: %s\n", set_then_get(MPOL_LOCAL, 0, 65));
  say("local {0}: %s\n", result(setp(MPOL_LOCAL, 1, 65)));
  say("preferred {} static: %s\n", result(setp(MPOL_PREFERRED | MPOL_F_STATIC_NODES, 0, 65)));
  say("bind {}: %s\n", result(setp(MPOL_BIND, 0, 65)));
  say("bind NULL mask: %s\n", result(setp(MPOL_BIND, -1, 65)));
  say("bind {63}: %s\n", result(setp(MPOL_BIND, 1UL << 63, 65)));
  mask[16] = 1;
  say("bind {0, 1024}: %s\n", result(setp(MPOL_BIND, 1, 1026)));
  say("bind {0} with bit 1024 past maxnode: %s\n", result(setp(MPOL_BIND, 1, 1025)));
  mask[16] = 0;
  say("bind {0, 1}: %s\n", set_then_get(MPOL_BIND, 3, 65));
  say("bind with maxnode 1 (no bits): %s\n", result(setp(MPOL_BIND, 1, 1)));
  say("bind with maxnode 0: %s\n", result(setp(MPOL_BIND, 1, 0)));
  say("bind with 40000 bits: %s\n", result(setp(MPOL_BIND, 1, 40000)));
  say("bind static {0, 5}: %s\n", set_then_get(MPOL_BIND | MPOL_F_STATIC_NODES, 0x21, 65));
  say("bind relative {5}: %s\n", set_then_get(MPOL_BIND | MPOL_F_RELATIVE_NODES, 0x20, 65));
  say("static and relative: %s\n", result(setp(MPOL_BIND | MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES, 1, 65)));
  say("bind with numa balancing: %s\n", set_then_get(MPOL_BIND | MPOL_F_NUMA_BALANCING, 1, 65));
  say("interleave with numa balancing: %s\n", result(setp(MPOL_INTERLEAVE | MPOL_F_NUMA_BALANCING, 1, 65)));
  say("mode 7: %s\n", result(setp(7, 1, 65)));
  say("mode -1: %s\n", result(setp(-1, 1, 65)));
  say("get flags 8: %s\n", getp(NULL, 8));
  say("an address without F_ADDR: %s\n", getp(main, 0));
  say("mems allowed: %s\n", getp(NULL, MPOL_F_MEMS_ALLOWED));
  say("mems allowed with F_NODE: %s\n", getp(NULL, MPOL_F_MEMS_ALLOWED | MPOL_F_NODE));
  int mode;
  say("get with maxnode 0: %s\n", result(syscall(SYS_get_mempolicy, &mode, mask, 0, 0, 0)));
  say("get without a mask: %s\n", result(syscall(SYS_get_mempolicy, &mode, NULL, 0, 0, 0)));

  /* mbind on the middle two pages of four (then a 2-page hole), with an interleave task policy that F_ADDR must not fall back to. */
  setp(MPOL_INTERLEAVE, 1, 65);
  char *m = mmap(NULL, 6 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(m + 4 * 4096, 2 * 4096);
  mask[0] = 1;
  long r = syscall(SYS_mbind, m + 4096, 2 * 4096, MPOL_BIND, mask, 65, 0);
  say("mbind: %s, areas %d\n", result(r), maps_lines(m, m + 4 * 4096));
  say("page 0: %s\n", getp(m, MPOL_F_ADDR));
  say("page 1: %s\n", getp(m + 4096, MPOL_F_ADDR));
  say("page 1 node: %s\n", getp(m + 4096, MPOL_F_ADDR | MPOL_F_NODE));
  r = syscall(SYS_mbind, m + 4096, 4096, MPOL_BIND, mask, 65, MPOL_MF_MOVE | MPOL_MF_STRICT);
  say("same policy again, with MOVE|STRICT: %s, areas %d\n", result(r), maps_lines(m, m + 4 * 4096));
  say("MOVE_ALL as root: %s\n", result(syscall(SYS_mbind, m + 4096, 4096, MPOL_BIND, mask, 65, MPOL_MF_MOVE_ALL)));
  say("unaligned: %s\n", result(syscall(SYS_mbind, m + 1, 4096, MPOL_BIND, mask, 65, 0)));
  say("flags 8: %s\n", result(syscall(SYS_mbind, m, 4096, MPOL_BIND, mask, 65, 8)));
  say("len 0: %s\n", result(syscall(SYS_mbind, m, 0, MPOL_BIND, mask, 65, 0)));
  say("over the hole: %s\n", result(syscall(SYS_mbind, m + 2 * 4096, 4 * 4096, MPOL_PREFERRED, mask, 65, 0)));
  say("page 2: %s\n", getp(m + 2 * 4096, MPOL_F_ADDR));
  say("bad mode over the hole: %s\n", result(syscall(SYS_mbind, m + 2 * 4096, 4 * 4096, 9, mask, 65, 0)));
  say("empty nodes over the hole: %s\n", result(syscall(SYS_mbind, m + 2 * 4096, 4 * 4096, MPOL_BIND, NULL, 0, 0)));
  r = syscall(SYS_mbind, m + 3 * 4096, 1, MPOL_PREFERRED, mask, 65, 0);
  say("a 1-byte length rounds up: %s\n", result(r));
  say("page 3: %s\n", getp(m + 3 * 4096, MPOL_F_ADDR));
  mprotect(m + 3 * 4096, 4096, PROT_NONE);
  say("PROT_NONE page: %s\n", getp(m + 3 * 4096, MPOL_F_ADDR));
  say("its node: %s\n", getp(m + 3 * 4096, MPOL_F_ADDR | MPOL_F_NODE));
  mprotect(m + 3 * 4096, 4096, PROT_READ | PROT_WRITE);
  say("unmapped: %s\n", getp(m + 4 * 4096, MPOL_F_ADDR));
  pid_t c = fork();
  if (c == 0) {
    say("forked child: task %s\n", getp(NULL, 0));
    say("forked child: page 1 %s\n", getp(m + 4096, MPOL_F_ADDR));
    _exit(0);
  }
  waitpid(c, NULL, 0);
  r = syscall(SYS_mbind, m, 4 * 4096, MPOL_DEFAULT, NULL, 0, 0);
  say("default over all: %s, areas %d\n", result(r), maps_lines(m, m + 4 * 4096));
  say("default with nodes: %s\n", result(syscall(SYS_mbind, m, 4096, MPOL_DEFAULT, mask, 65, 0)));

  pthread_t th;
  pthread_create(&th, NULL, thread_main, NULL);
  pthread_join(th, NULL);
  say("main keeps: %s\n", getp(NULL, 0));
  c = fork();
  if (c == 0) {
    execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
    _exit(99);
  }
  waitpid(c, NULL, 0);
  return 0;
}
