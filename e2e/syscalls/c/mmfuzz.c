// Random memory-map operations inside a region of its own, printed so that
// a sandbox's run can be compared with Linux's line by line: mmap (anonymous
// private or shared, or a private map of a file, always MAP_FIXED inside the
// region), munmap, mprotect, mremap (in place, or moved to a fixed place in
// the region), madvise (DONTNEED zeroes private anonymous pages and
// re-reads file pages), writes of a marker into a page and reads of one, both
// by the kernel (read(2) into it from a pipe, write(2) from it into a pipe:
// EFAULT where the protection forbids it, never a signal). After every
// operation its result; at the end, each page's content checksum or EFAULT,
// and the region's lines of /proc/self/maps relative to its start.
// Usage: mmfuzz FILE SEED STEPS   (FILE: at least 16 pages, mapped privately)
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "say.h"
#include "rng.h"

#define PAGE 4096UL
#define PAGES 64


static unsigned char *region;
static int pipefd[2];

static const char *err(long r) {
  return r < 0 ? strerrorname_np(errno) : "0";
}

static int prot(void) {
  static const int p[] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE, PROT_READ | PROT_EXEC};
  return p[rng_next() % 5];
}

// A page of the region and a length in pages that may run past its end.
static unsigned long at(void) { return rng_next() % PAGES; }
static unsigned long span(void) { return 1 + rng_next() % 8; }

// The kernel reads a page into a pipe: its checksum, or the errno.
static void page_content(unsigned long page, char *out, size_t n) {
  unsigned char buf[PAGE];
  long w = write(pipefd[1], region + page * PAGE, PAGE);
  if (w < 0) {
    snprintf(out, n, "%s", strerrorname_np(errno));
    return;
  }
  if (read(pipefd[0], buf, w) != w) _exit(3);
  uint32_t h = 2166136261u;
  for (long i = 0; i < w; i++) h = (h ^ buf[i]) * 16777619u;
  snprintf(out, n, "%ld:%08x", w, h);
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int fd = open(argv[1], O_RDONLY);
  rng_state = strtoull(argv[2], 0, 0);
  int steps = atoi(argv[3]);
  if (fd < 0 || pipe(pipefd) != 0) return 2;
  region = mmap(0, PAGES * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED) return 2;
  for (int i = 0; i < steps; i++) {
    unsigned long p = at(), n = span();
    unsigned char *a = region + p * PAGE;
    size_t len = n * PAGE;
    if (p + n > PAGES) len = (PAGES - p) * PAGE; // never past the region
    long r;
    switch (rng_next() % 9) {
    case 0: {
      int pr = prot();
      r = (long)mmap(a, len, pr, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      say("%d mmap anon %lu+%lu prot %d: %s\n", i, p, len / PAGE, pr, r == (long)a ? "ok" : err(-1));
      break;
    }
    case 1: {
      int pr = prot();
      r = (long)mmap(a, len, pr, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      say("%d mmap shared %lu+%lu prot %d: %s\n", i, p, len / PAGE, pr, r == (long)a ? "ok" : err(-1));
      break;
    }
    case 2: {
      int pr = prot();
      unsigned long off = rng_next() % 8;
      r = (long)mmap(a, len, pr, MAP_PRIVATE | MAP_FIXED, fd, off * PAGE);
      say("%d mmap file@%lu %lu+%lu prot %d: %s\n", i, off, p, len / PAGE, pr, r == (long)a ? "ok" : err(-1));
      break;
    }
    case 3:
      r = munmap(a, len);
      say("%d munmap %lu+%lu: %s\n", i, p, len / PAGE, err(r));
      break;
    case 4: {
      int pr = prot();
      r = mprotect(a, len, pr);
      say("%d mprotect %lu+%lu %d: %s\n", i, p, len / PAGE, pr, err(r));
      break;
    }
    case 5: {
      unsigned long to = at(), n2 = span();
      if (to + n2 > PAGES) n2 = PAGES - to;
      if (rng_next() % 2) {
        // In place: grow only into what follows within the region.
        size_t room = (PAGES - p) * PAGE;
        size_t want = n2 * PAGE < room ? n2 * PAGE : room;
        r = (long)mremap(a, len, want, 0);
        say("%d mremap %lu+%lu -> %lu: %s\n", i, p, len / PAGE, want / PAGE, r == (long)a ? "ok" : err(-1));
      } else {
        r = (long)mremap(a, len, n2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, region + to * PAGE);
        say("%d mremap %lu+%lu -> %lu+%lu: %s\n", i, p, len / PAGE, to, n2, r == (long)(region + to * PAGE) ? "ok" : err(-1));
      }
      break;
    }
    case 6: {
      static const int advice[] = {MADV_DONTNEED, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED};
      int adv = advice[rng_next() % 5];
      r = madvise(a, len, adv);
      say("%d madvise %lu+%lu %d: %s\n", i, p, len / PAGE, adv, err(r));
      break;
    }
    case 7: {
      // The kernel writes a marker into the page (read(2) from a pipe into it).
      unsigned char mark[64];
      for (int k = 0; k < 64; k++) mark[k] = (unsigned char)rng_next();
      if (write(pipefd[1], mark, sizeof mark) != sizeof mark) _exit(3);
      unsigned char *dst = a + (rng_next() % (PAGE - 64));
      r = read(pipefd[0], dst, sizeof mark);
      if (r < 0) {
        unsigned char drain[64];
        if (read(pipefd[0], drain, sizeof drain) != sizeof drain) _exit(3);
      }
      say("%d write %lu: %s\n", i, p, r < 0 ? strerrorname_np(errno) : "ok");
      break;
    }
    default: {
      char c[32];
      page_content(p, c, sizeof c);
      say("%d read %lu: %s\n", i, p, c);
      break;
    }
    }
  }
  for (unsigned long p = 0; p < PAGES; p++) {
    char c[32];
    page_content(p, c, sizeof c);
    say("page %lu: %s\n", p, c);
  }
  // The region's areas, relative to its start (device and inode differ between hosts).
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[512];
  while (maps && fgets(line, sizeof line, maps)) {
    unsigned long s, e, off;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s %lx", &s, &e, perms, &off) != 4) continue;
    unsigned long lo = (unsigned long)region, hi = lo + PAGES * PAGE;
    if (e <= lo || s >= hi) continue;
    // Clamped to the region: what lies around it differs between hosts.
    unsigned long from = s < lo ? lo : s, to = e > hi ? hi : e;
    if (strchr(line, '/')) say("area %lu-%lu %s file@%lu\n", (from - lo) / PAGE, (to - lo) / PAGE, perms, (off + (from - s)) / PAGE);
    else say("area %lu-%lu %s anon\n", (from - lo) / PAGE, (to - lo) / PAGE, perms);
  }
  return 0;
}
