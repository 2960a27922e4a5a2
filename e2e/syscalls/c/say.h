/*
 * say(): printf to stdout with one write(2) per call, unbuffered, so lines
 * from forked processes are never duplicated or interleaved mid-line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static void say(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (write(1, buf, n) != n) _exit(99);
}
