/*
 * vdso_clock check|calls N|maps|loop N: the vDSO as a program sees it.
 *   check  reads the clocks through libc (the vDSO) and the raw syscall,
 *          interleaved for 1.5 s (past the Sentry's clock updates), and
 *          says whether each clock kept its promises.
 *   calls  makes N clock_gettime, clock_getres and sched_getcpu calls
 *          through libc, then 3 raw clock_gettime syscalls
 *          (a strace of it shows which ones trapped).
 *   maps   says how /proc/self/maps shows [vvar] and [vdso].
 *   loop   times N clock_gettime(CLOCK_MONOTONIC) calls through libc and
 *          prints "N <n> ns <elapsed>" (the benchmark's format).
 * The output of the others is the same on Linux and in a sandbox that gets
 * it right.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long ns_of(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static long long via_libc(clockid_t clk) {
  struct timespec t;
  clock_gettime(clk, &t);
  return ns_of(t);
}

static long long via_syscall(clockid_t clk) {
  struct timespec t;
  syscall(SYS_clock_gettime, clk, &t);
  return ns_of(t);
}

static const char *verdict(long bad) { return bad == 0 ? "ok" : "BROKEN"; }

static void check(void) {
  printf("AT_SYSINFO_EHDR: %s\n", getauxval(AT_SYSINFO_EHDR) != 0 ? "set" : "missing");
  clockid_t steady[] = {CLOCK_MONOTONIC, CLOCK_BOOTTIME};
  const char *names[] = {"monotonic", "boottime"};
  long backwards[2] = {0, 0}, real_apart = 0, gtod_apart = 0, time_apart = 0;
  long long end = via_syscall(CLOCK_MONOTONIC) + 1500000000LL;
  for (long i = 0; via_libc(CLOCK_MONOTONIC) < end; i++) {
    for (int c = 0; c < 2; c++) {
      long long a = via_libc(steady[c]), b = via_syscall(steady[c]), d = via_libc(steady[c]);
      if (b < a || d < b) backwards[c]++;
    }
    /* The syscall's reading must fall between two vDSO readings, give or take 5 ms:
       a preemption between the calls widens the bracket instead of failing the check. */
    long long r1 = via_libc(CLOCK_REALTIME), r2 = via_syscall(CLOCK_REALTIME), r1b = via_libc(CLOCK_REALTIME);
    if (r2 < r1 - 5000000 || r2 > r1b + 5000000) real_apart++;
    struct timeval tv, tvb;
    gettimeofday(&tv, NULL);
    long long r3 = via_syscall(CLOCK_REALTIME);
    gettimeofday(&tvb, NULL);
    if (r3 < tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL - 5000000 || r3 > tvb.tv_sec * 1000000000LL + tvb.tv_usec * 1000LL + 5000000) gtod_apart++;
    time_t t = time(NULL);
    long long r4 = via_syscall(CLOCK_REALTIME);
    if (r4 / 1000000000LL - t > 1 || r4 / 1000000000LL < t) time_apart++;
    if (i % 1000 == 0) usleep(1000);
  }
  for (int c = 0; c < 2; c++) printf("%s never goes back: %s\n", names[c], verdict(backwards[c]));
  printf("realtime agrees with the syscall: %s\n", verdict(real_apart));
  printf("gettimeofday agrees: %s\n", verdict(gtod_apart));
  printf("time agrees: %s\n", verdict(time_apart));
}

static void calls(long n) {
  struct timespec t;
  for (long i = 0; i < n; i++) {
    clock_gettime(CLOCK_MONOTONIC, &t);
    clock_getres(CLOCK_MONOTONIC, &t);
    sched_getcpu();
  }
  for (int i = 0; i < 3; i++) syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
}

static void loop(long n) {
  long long start = via_libc(CLOCK_MONOTONIC), last = start;
  for (long i = 0; i < n; i++) last = via_libc(CLOCK_MONOTONIC);
  printf("N %ld ns %lld\n", n, last - start);
}

static void maps(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512], perms[8];
  unsigned long start, end, ehdr = getauxval(AT_SYSINFO_EHDR);
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3) continue;
    if (strstr(line, "[vvar]")) printf("[vvar] %s\n", perms);
    if (strstr(line, "[vdso]")) printf("[vdso] %s at AT_SYSINFO_EHDR: %s\n", perms, start == ehdr ? "yes" : "no");
  }
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "check") == 0) check();
  else if (argc == 3 && strcmp(argv[1], "calls") == 0) calls(atol(argv[2]));
  else if (argc == 2 && strcmp(argv[1], "maps") == 0) maps();
  else if (argc == 3 && strcmp(argv[1], "loop") == 0) loop(atol(argv[2]));
  else return 2;
  return 0;
}
