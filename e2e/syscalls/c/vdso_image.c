/*
 * vdso_image IMAGE CGT GTOD TIME GETRES GETCPU: runs the Sentry's vDSO code natively. It
 * maps a vvar page with the image right above it (as the Sentry does), fills
 * the vvar fields (sentry/kernel/vdso/vvar.ts) with fixed values and calls
 * the entry points at the given offsets, printing what they return. With
 * mult 0 the TSC drops out, so every line is predictable; ready 0 and
 * clocks the vDSO does not serve go to the real syscall.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

typedef long (*cgt_fn)(long, struct timespec *);
typedef long (*gtod_fn)(struct timeval *, struct timezone *);
typedef long (*time_fn)(long *);
typedef long (*getres_fn)(long, struct timespec *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

enum { SEQ, BASE_TSC, BASE_NS, MULT, REAL_OFFSET, BOOT_OFFSET, READY };

static uint64_t *vvar;
static cgt_fn cgt;
static gtod_fn gtod;
static time_fn tm;
static getres_fn getres;
static getcpu_fn getcpu;

static void show_cgt(const char *what, long clk) {
  struct timespec ts = {-1, -1};
  long r = cgt(clk, &ts);
  printf("%s clock %ld: ret %ld %lld.%09ld\n", what, clk, r, (long long)ts.tv_sec, ts.tv_nsec);
}

static void all_clocks(const char *what) {
  long clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME};
  for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) show_cgt(what, clocks[i]);
  struct timeval tv = {-1, -1};
  struct timezone tz = {7, 7};
  long r = gtod(&tv, &tz);
  printf("%s gettimeofday: ret %ld %lld.%06ld tz %d %d\n", what, r, (long long)tv.tv_sec, (long)tv.tv_usec, tz.tz_minuteswest, tz.tz_dsttime);
  r = gtod(NULL, &tz);
  printf("%s gettimeofday(NULL): ret %ld\n", what, r);
  long t = -1;
  r = tm(&t);
  printf("%s time: ret %ld stored %ld null %ld\n", what, r, t, tm(NULL));
}

int main(int argc, char **argv) {
  if (argc != 7) return 2;
  FILE *f = fopen(argv[1], "rb");
  if (!f) return 3;
  char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (fread(pages + 4096, 1, 4096, f) != 4096) return 4;
  if (mprotect(pages + 4096, 4096, PROT_READ | PROT_EXEC) != 0) return 5;
  vvar = (uint64_t *)pages;
  cgt = (cgt_fn)(pages + 4096 + strtol(argv[2], NULL, 0));
  gtod = (gtod_fn)(pages + 4096 + strtol(argv[3], NULL, 0));
  tm = (time_fn)(pages + 4096 + strtol(argv[4], NULL, 0));
  getres = (getres_fn)(pages + 4096 + strtol(argv[5], NULL, 0));
  getcpu = (getcpu_fn)(pages + 4096 + strtol(argv[6], NULL, 0));

  vvar[BASE_NS] = 1234567890123456789ULL;
  vvar[REAL_OFFSET] = 1000000001;
  vvar[BOOT_OFFSET] = (uint64_t)-5;
  vvar[READY] = 1;
  all_clocks("fixed");

  /* A TSC reading before the base counts as the base. */
  vvar[BASE_TSC] = 1ULL << 63;
  vvar[MULT] = 1ULL << 32;
  show_cgt("before-base", CLOCK_MONOTONIC);

  /* One nanosecond per tick from a base of 0: the TSC itself. */
  vvar[BASE_TSC] = 0;
  vvar[BASE_NS] = 0;
  struct timespec a, b;
  cgt(CLOCK_MONOTONIC, &a);
  cgt(CLOCK_MONOTONIC, &b);
  printf("ticking: %s\n", a.tv_sec * 1000000000LL + a.tv_nsec < b.tv_sec * 1000000000LL + b.tv_nsec ? "advances" : "stuck");

  /* Not served: the real syscall answers (compared with the host's clock). */
  struct timespec host, got;
  clock_gettime(CLOCK_MONOTONIC, &host);
  vvar[READY] = 0;
  long r = cgt(CLOCK_MONOTONIC, &got);
  printf("not ready: ret %ld within 1s of the host %s\n", r, got.tv_sec - host.tv_sec <= 1 && got.tv_sec >= host.tv_sec ? "yes" : "no");
  struct timeval tv;
  r = gtod(&tv, NULL);
  printf("not ready gettimeofday: ret %ld plausible %s\n", r, tv.tv_sec > 1600000000 ? "yes" : "no");
  printf("not ready time: plausible %s\n", tm(NULL) > 1600000000 ? "yes" : "no");
  vvar[READY] = 1;
  r = cgt(CLOCK_PROCESS_CPUTIME_ID, &got);
  printf("cputime clock: ret %ld\n", r);
  printf("bad clock: ret %ld\n", cgt(99, &got));
  long res_clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID, 99};
  for (unsigned i = 0; i < sizeof res_clocks / sizeof res_clocks[0]; i++) {
    struct timespec res = {-1, -1};
    r = getres(res_clocks[i], &res);
    printf("getres clock %ld: ret %ld %lld.%09ld\n", res_clocks[i], r, (long long)res.tv_sec, res.tv_nsec);
  }
  printf("getres NULL: ret %ld\n", getres(CLOCK_MONOTONIC, NULL));
  unsigned cpu = 7, node = 7;
  r = getcpu(&cpu, &node, NULL);
  printf("getcpu: ret %ld cpu %u node %u null %ld\n", r, cpu, node, getcpu(NULL, NULL, NULL));
  return 0;
}
