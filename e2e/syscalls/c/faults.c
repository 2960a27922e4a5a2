/* Faults and signals a sandbox must report like Linux: the argument picks one. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  volatile int *volatile null = NULL;
  volatile int num = 7, zero = 0;
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("before %s\n", what);
  if (strcmp(what, "segv") == 0) return *null;
  if (strcmp(what, "fpe") == 0) return num / zero;
  if (strcmp(what, "abort") == 0) abort();
  if (strcmp(what, "trap") == 0) __asm__ volatile("int3");
  if (strcmp(what, "ill") == 0) __asm__ volatile("ud2");
  if (strcmp(what, "term") == 0) kill(getpid(), SIGTERM);
  printf("after %s\n", what);
  return 0;
}
