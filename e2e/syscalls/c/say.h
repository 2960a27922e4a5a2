/*
 * say(): printf to stdout with one write(2) per call, unbuffered, so lines
 * from forked processes are never duplicated or interleaved mid-line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void say(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (write(1, buf, n) != n) _exit(99);
}

/* Sleeps `ms` milliseconds (the tests' pauses between processes). */
static inline void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

#ifdef _GNU_SOURCE
/* A syscall's result as text: the value, or the errno's name. Eight calls'
 * texts stay valid at once (for one say() of several results). */
static inline const char *result(long r) {
  static char b[8][32];
  static int next;
  char *out = b[next++ % 8];
  if (r >= 0) snprintf(out, 32, "%ld", r);
  else snprintf(out, 32, "%s", strerrorname_np(errno));
  return out;
}
#endif
