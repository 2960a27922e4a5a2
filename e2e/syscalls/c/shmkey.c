/*
 * `shmkey put KEY TEXT` leaves TEXT in a new segment with key KEY (which
 * outlives the process); `shmkey get KEY` prints it and removes the
 * segment. For checking who shares an IPC namespace (a pod's containers).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  key_t key = (key_t)strtol(argv[2], NULL, 0);
  int put = strcmp(argv[1], "put") == 0 && argc == 4;
  int id = shmget(key, 4096, put ? IPC_CREAT | IPC_EXCL | 0600 : 0);
  if (id < 0) return printf("shmget: %s\n", strerror(errno)), 1;
  char *p = shmat(id, NULL, 0);
  if (p == (void *)-1) return printf("shmat: %s\n", strerror(errno)), 1;
  if (put) strncpy(p, argv[3], 4095);
  else printf("%s\n", p);
  if (!put && shmctl(id, IPC_RMID, NULL) != 0) return 1;
  return 0;
}
