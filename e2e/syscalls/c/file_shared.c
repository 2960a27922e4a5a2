/*
 * Writable MAP_SHARED file mappings, compared with native Linux: stores
 * through a mapping are seen by a forked child's inherited mapping and by
 * an independent mapping of the same file in another process, by read(2),
 * and in the file after msync/munmap; write(2) shows in the mapping; a
 * named POSIX semaphore (a shared mapping of a /dev/shm file) wakes a
 * waiter in another process. argv[1] is a directory for the file.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "say.h"

#define SIZE 8192

static char path[512];

static void child(char *p) {
  memcpy(p + 100, "child", 5);
  int fd = open(path, O_RDWR);
  char *q = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (q == MAP_FAILED) _exit(3);
  say("independent mapping sees the parent's store: %.5s\n", q + 4096);
  memcpy(q + 200, "indep", 5);
  _exit(0);
}

static void show(int fd, const char *label) {
  char a[6] = {0}, b[6] = {0}, c[6] = {0};
  if (pread(fd, a, 5, 100) != 5 || pread(fd, b, 5, 200) != 5 || pread(fd, c, 5, 300) != 5) _exit(4);
  say("%s: %s %s %s\n", label, a, b, c);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  snprintf(path, sizeof path, "%s/shared.bin", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || write(fd, "hello", 5) != 5 || ftruncate(fd, SIZE) != 0) return 3;
  char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return 5;
  say("mapping starts with: %.5s\n", p);
  memcpy(p + 4096, "upper", 5);
  pid_t pid = fork();
  if (pid == 0) child(p);
  int st;
  waitpid(pid, &st, 0);
  say("parent sees: %.5s %.5s\n", p + 100, p + 200);
  if (pwrite(fd, "WRITE", 5, 300) != 5) return 6;
  say("mapping sees write(2): %.5s\n", p + 300);
  show(fd, "read(2) sees");
  if (msync(p, SIZE, MS_SYNC) != 0) return 7;
  munmap(p, SIZE);
  close(fd);
  fd = open(path, O_RDONLY);
  show(fd, "file after munmap");
  close(fd);
  unlink(path);

  sem_t *s = sem_open("/tsvisor-file-shared", O_CREAT | O_EXCL, 0600, 0);
  if (s == SEM_FAILED) return 8;
  sem_unlink("/tsvisor-file-shared");
  pid = fork();
  if (pid == 0) {
    sem_wait(s);
    say("semaphore: child got the post\n");
    _exit(0);
  }
  usleep(200 * 1000);
  sem_post(s);
  waitpid(pid, &st, 0);
  say("semaphore: child exit %d\n", WEXITSTATUS(st));
  return 0;
}
